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
import java.util.Iterator;

/**
 * Streams the same request N times, one after the other, and reports time to the first event and the gaps between
 * events: java bench/StreamProbe.java <url> <authorization header value> <body file> <count>
 */
public class StreamProbe {

    public static void main(String[] args) throws Exception {
        URI url = URI.create(args[0]);
        String authorization = args[1];
        String body = Files.readString(Path.of(args[2]));
        int count = Integer.parseInt(args[3]);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        List<Double> ttft = new ArrayList<>();
        List<Double> gaps = new ArrayList<>();
        int minFrames = Integer.MAX_VALUE;
        int maxFrames = 0;
        for (int i = 0; i < count; i++) {
            HttpRequest request = HttpRequest.newBuilder(url).header("Content-Type", "application/json").header("Authorization", authorization)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            long start = System.nanoTime();
            HttpResponse<java.util.stream.Stream<String>> response = client.send(request, HttpResponse.BodyHandlers.ofLines());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("status " + response.statusCode());
            }
            long previous = -1;
            int frames = 0;
            Iterator<String> lines = response.body().iterator();
            while (lines.hasNext()) {
                String line = lines.next();
                if (!line.startsWith("data:")) {
                    continue;
                }
                long now = System.nanoTime();
                if (previous < 0) {
                    ttft.add((now - start) / 1e6);
                } else {
                    gaps.add((now - previous) / 1e6);
                }
                previous = now;
                frames++;
            }
            minFrames = Math.min(minFrames, frames);
            maxFrames = Math.max(maxFrames, frames);
        }
        Collections.sort(ttft);
        Collections.sort(gaps);
        System.out.printf("streams=%d frames=%d..%d ttft_ms_p50=%.2f ttft_ms_p99=%.2f gap_ms_p50=%.2f gap_ms_p99=%.2f%n",
                count, minFrames, maxFrames, pct(ttft, 50), pct(ttft, 99), pct(gaps, 50), pct(gaps, 99));
    }

    private static double pct(List<Double> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }
}
