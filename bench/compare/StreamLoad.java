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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * Many streams at once: opens <count> streamed chats together, each on its own connection, and reports how many
 * completed (ended with "data: [DONE]"), their events, the time to each one's first event and the gaps between events.
 *   java bench/compare/StreamLoad.java <url> <body file> <count> [--open-marker <file>] ["Header: value" ...]
 * With --open-marker the file is created once every stream has its first event (a script samples memory then).
 * Prints "streams=<n> complete=<n> failed=<n> events=<min>..<max> ttft_ms_p50=… ttft_ms_p99=… gap_ms_p50=… gap_ms_p99=… gap_ms_max=…".
 */
public class StreamLoad {

    public static void main(String[] args) throws Exception {
        URI url = URI.create(args[0]);
        String body = Files.readString(Path.of(args[1]));
        int count = Integer.parseInt(args[2]);
        Path marker = null;
        List<String[]> headers = new ArrayList<>();
        for (int i = 3; i < args.length; i++) {
            if (args[i].equals("--open-marker")) {
                marker = Path.of(args[++i]);
            } else {
                int colon = args[i].indexOf(':');
                headers.add(new String[] {args[i].substring(0, colon).trim(), args[i].substring(colon + 1).trim()});
            }
        }
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(30)).executor(Executors.newFixedThreadPool(2)).build();
        HttpRequest.Builder builder = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(h -> builder.header(h[0], h[1]));
        HttpRequest request = builder.build();
        CountDownLatch opened = new CountDownLatch(count);
        CountDownLatch finished = new CountDownLatch(count);
        List<Stream> streams = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Stream stream = new Stream(opened, finished);
            streams.add(stream);
            stream.start = System.nanoTime();
            client.sendAsync(request, HttpResponse.BodyHandlers.fromLineSubscriber(stream)).whenComplete((response, failure) -> {
                if (failure != null || response.statusCode() != 200) {
                    stream.failed = true;
                    stream.end();
                }
            });
        }
        if (marker != null) {
            opened.await(120, TimeUnit.SECONDS);
            Files.writeString(marker, "open\n");
        }
        finished.await(180, TimeUnit.SECONDS);
        List<Double> ttft = new ArrayList<>();
        List<Double> gaps = new ArrayList<>();
        int complete = 0;
        int failed = 0;
        int minEvents = Integer.MAX_VALUE;
        int maxEvents = 0;
        for (Stream s : streams) {
            synchronized (s) {
                if (s.first > 0) {
                    ttft.add((s.first - s.start) / 1e6);
                }
                gaps.addAll(s.gaps);
                minEvents = Math.min(minEvents, s.events);
                maxEvents = Math.max(maxEvents, s.events);
                if (s.failed) {
                    failed++;
                } else if (s.done && s.sawDone) {
                    complete++;
                }
            }
        }
        Collections.sort(ttft);
        Collections.sort(gaps);
        System.out.printf("streams=%d complete=%d failed=%d events=%d..%d ttft_ms_p50=%.2f ttft_ms_p99=%.2f gap_ms_p50=%.2f gap_ms_p99=%.2f gap_ms_max=%.2f%n",
                count, complete, failed, minEvents, maxEvents, pct(ttft, 50), pct(ttft, 99), pct(gaps, 50), pct(gaps, 99),
                gaps.isEmpty() ? Double.NaN : gaps.get(gaps.size() - 1));
        System.exit(0);
    }

    private static double pct(List<Double> sorted, int p) {
        return sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    /** One stream's events: "data:" lines (the final [DONE] included), their arrival times. */
    static final class Stream implements Flow.Subscriber<String> {
        final CountDownLatch opened;
        final CountDownLatch finished;
        final List<Double> gaps = new ArrayList<>();
        long start;
        long first;
        long previous;
        int events;
        boolean done;
        boolean sawDone;
        boolean failed;
        private boolean ended;

        Stream(CountDownLatch opened, CountDownLatch finished) {
            this.opened = opened;
            this.finished = finished;
        }

        @Override public void onSubscribe(Flow.Subscription subscription) { subscription.request(Long.MAX_VALUE); }

        @Override public synchronized void onNext(String line) {
            if (!line.startsWith("data:")) {
                return;
            }
            long now = System.nanoTime();
            if (first == 0) {
                first = now;
                opened.countDown();
            } else {
                gaps.add((now - previous) / 1e6);
            }
            previous = now;
            events++;
            sawDone = line.equals("data: [DONE]");
        }

        @Override public synchronized void onError(Throwable throwable) { failed = true; end(); }

        @Override public synchronized void onComplete() { done = true; end(); }

        synchronized void end() {
            if (!ended) {
                ended = true;
                if (first == 0) {
                    opened.countDown();
                }
                finished.countDown();
            }
        }
    }
}
