import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends exactly N requests with C in flight and reports what the client saw: statuses, latency percentiles, and
 * which deployment served (x-gateway-deployment) with its own percentiles:
 * java bench/FailoverProbe.java <url> <authorization header value> <body file> <count> <concurrency>
 * Prints one line per group: "<group> <requests> <p50 ms> <p90 ms> <p99 ms> <max ms>", the first group "all", then
 * "status <code> <n>" lines.
 */
public class FailoverProbe {

    record Result(int status, String deployment, double millis) {
    }

    public static void main(String[] args) throws Exception {
        URI url = URI.create(args[0]);
        String authorization = args[1];
        String body = Files.readString(Path.of(args[2]));
        int count = Integer.parseInt(args[3]);
        int concurrency = Integer.parseInt(args[4]);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        List<Result> results = new CopyOnWriteArrayList<>();
        AtomicInteger next = new AtomicInteger();
        ExecutorService workers = Executors.newFixedThreadPool(concurrency);
        for (int w = 0; w < concurrency; w++) {
            workers.submit(() -> {
                while (next.getAndIncrement() < count) {
                    HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                            .header("Authorization", authorization).POST(HttpRequest.BodyPublishers.ofString(body)).build();
                    long started = System.nanoTime();
                    try {
                        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                        results.add(new Result(response.statusCode(), response.headers().firstValue("x-gateway-deployment").orElse("-"),
                                (System.nanoTime() - started) / 1e6));
                    } catch (Exception e) {
                        results.add(new Result(-1, "-", (System.nanoTime() - started) / 1e6));
                    }
                }
                return null;
            });
        }
        workers.shutdown();
        workers.awaitTermination(30, TimeUnit.MINUTES);
        print("all", results);
        Map<String, List<Result>> byDeployment = new TreeMap<>();
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (Result r : results) {
            byDeployment.computeIfAbsent(r.deployment(), k -> new ArrayList<>()).add(r);
            statuses.merge(r.status(), 1, Integer::sum);
        }
        byDeployment.forEach(FailoverProbe::print);
        statuses.forEach((status, n) -> System.out.println("status " + status + " " + n));
    }

    private static void print(String group, List<Result> results) {
        List<Double> millis = new ArrayList<>(results.stream().map(Result::millis).toList());
        Collections.sort(millis);
        System.out.printf("%s %d %.2f %.2f %.2f %.2f%n", group, millis.size(), at(millis, 0.5), at(millis, 0.9), at(millis, 0.99),
                millis.isEmpty() ? 0 : millis.get(millis.size() - 1));
    }

    private static double at(List<Double> sorted, double q) {
        return sorted.isEmpty() ? 0 : sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1));
    }
}
