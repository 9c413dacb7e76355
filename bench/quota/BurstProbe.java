import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Sends {@code total} chat completions from {@code clients} concurrent clients (one thread and connection each),
 * spread round-robin over the gateway replicas, and prints one line:
 * {@code admitted=… refused=… other=… codes={…} millis=… p50=… p99=…} — millis from the first request sent to the
 * last answer received, latencies of every request in ms.
 *   java BurstProbe.java http://127.0.0.1:18201,http://127.0.0.1:18202 KEY 1300 64 Meta-Llama-3.1-70B-Instruct
 */
public class BurstProbe {

    public static void main(String[] args) throws Exception {
        List<String> replicas = Arrays.asList(args[0].split(","));
        String key = args[1];
        int total = Integer.parseInt(args[2]);
        int clients = Integer.parseInt(args[3]);
        String body = "{\"model\":\"" + args[4] + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5}";
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger admitted = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger other = new AtomicInteger();
        Map<String, AtomicInteger> codes = new ConcurrentHashMap<>();
        AtomicLongArray latencies = new AtomicLongArray(total);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long started = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                    HttpRequest request = HttpRequest.newBuilder(URI.create(replicas.get(i % replicas.size()) + "/v1/chat/completions"))
                            .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + key)
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
                    long sent = System.nanoTime();
                    try {
                        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                        latencies.set(i, System.nanoTime() - sent);
                        if (response.statusCode() == 200) {
                            admitted.incrementAndGet();
                        } else {
                            (response.statusCode() == 429 ? refused : other).incrementAndGet();
                            String code = response.body().replaceAll("(?s).*\"code\"\\s*:\\s*\"([^\"]+)\".*", "$1");
                            codes.computeIfAbsent(response.statusCode() + ":" + (code.length() > 40 ? "?" : code), k -> new AtomicInteger()).incrementAndGet();
                        }
                    } catch (Exception e) {
                        latencies.set(i, System.nanoTime() - sent);
                        other.incrementAndGet();
                        codes.computeIfAbsent(e.getClass().getSimpleName(), k -> new AtomicInteger()).incrementAndGet();
                    }
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(10, TimeUnit.MINUTES);
        long millis = (System.nanoTime() - started) / 1_000_000;
        long[] sorted = new long[total];
        for (int i = 0; i < total; i++) {
            sorted[i] = latencies.get(i);
        }
        Arrays.sort(sorted);
        System.out.printf("admitted=%d refused=%d other=%d codes=%s millis=%d p50=%.3f p99=%.3f%n", admitted.get(), refused.get(), other.get(),
                codes, millis, sorted[total / 2] / 1e6, sorted[Math.min(total - 1, (int) Math.ceil(total * 0.99) - 1)] / 1e6);
    }
}
