import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Open-loop load: requests sent at a fixed arrival rate whatever the answers do, each one's latency counted from when
 * it was due to be sent (so a stall shows in every request it delays: no coordinated omission). The first 3 seconds
 * at the same rate warm the client up and are not counted.
 *   java bench/compare/OpenLoop.java <url> <body file> <rate/s> <seconds> ["Header: value" ...]
 * Prints "sent=<n> ok=<n> errors=<n> p50_ms=… p99_ms=… p999_ms=… max_ms=…".
 */
public class OpenLoop {

    public static void main(String[] args) throws Exception {
        URI url = URI.create(args[0]);
        String body = Files.readString(Path.of(args[1]));
        double rate = Double.parseDouble(args[2]);
        int seconds = Integer.parseInt(args[3]);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).executor(Executors.newFixedThreadPool(2)).build();
        HttpRequest.Builder builder = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 4; i < args.length; i++) {
            int colon = args[i].indexOf(':');
            builder.header(args[i].substring(0, colon).trim(), args[i].substring(colon + 1).trim());
        }
        HttpRequest request = builder.build();
        int warmUp = (int) Math.round(rate * 3);
        int total = (int) Math.round(rate * seconds);
        long[] latencies = new long[total];
        AtomicInteger errors = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(warmUp + total);
        long interval = Math.round(1e9 / rate);
        long start = System.nanoTime();
        for (int i = 0; i < warmUp + total; i++) {
            long due = start + i * interval;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            int slot = i - warmUp;
            client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
                if (slot >= 0) {
                    latencies[slot] = System.nanoTime() - due;
                    if (failure != null || response.statusCode() != 200) {
                        errors.incrementAndGet();
                    }
                }
                done.countDown();
            });
        }
        if (!done.await(60, TimeUnit.SECONDS)) {
            System.out.println("sent=" + total + " unanswered=" + done.getCount());
            System.exit(1);
        }
        Arrays.sort(latencies);
        System.out.printf("sent=%d ok=%d errors=%d p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f%n", total,
                total - errors.get(), errors.get(), pct(latencies, 50), pct(latencies, 99), pct(latencies, 99.9),
                latencies[total - 1] / 1e6);
        System.exit(0);
    }

    private static double pct(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100 * sorted.length) - 1)] / 1e6;
    }
}
