import com.llamagateway.gateway.protocol.AzureInferenceCodec;
import com.llamagateway.gateway.protocol.BackendDialect;
import com.llamagateway.gateway.protocol.CallerDialect;
import com.llamagateway.gateway.protocol.CanonicalChunk;
import com.llamagateway.gateway.protocol.CanonicalRequest;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.protocol.Operation;
import com.llamagateway.gateway.protocol.StreamEncoder;
import com.llamagateway.gateway.protocol.V1Codec;
import org.springframework.http.HttpHeaders;
import tools.jackson.databind.JsonNode;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * CPU time of the stream codecs alone, per event: each event's data text in (as the upstream client has it), the
 * caller's event out as the bytes of its frame on the wire — decode, encode, serialize, frame — for the golden seed
 * streams, through the dialects' public interfaces, so that the same program measures any revision (it adapts to a
 * decoder that takes a tree, and to an encoder that returns trees, text or frames). Single-threaded and with THREADS threads at once (the event loops share Jackson's
 * buffer pool).
 *   java -cp <extracted gateway jar> bench/codec/EventCodecBench.java <seed dir> <seconds per measurement> <threads>
 * Prints "threads=<n> ns_per_event=<median of 5>" and the five measurements.
 */
public class EventCodecBench {

    public static void main(String[] args) throws Exception {
        Path seeds = Path.of(args[0]);
        long nanosPerRun = (long) (Double.parseDouble(args[1]) * 1e9);
        int threads = Integer.parseInt(args[2]);
        Json json = new Json(64, 1 << 20, 1 << 20);
        V1Codec v1 = new V1Codec(json);
        AzureInferenceCodec azure = new AzureInferenceCodec(json);
        CanonicalRequest request = v1.decodeRequest(Operation.CHAT, json.read("""
                {"model":"Meta-Llama-3.1-70B-Instruct","messages":[{"role":"user","content":"hi"}],"stream":true,
                 "stream_options":{"include_usage":true}}""".getBytes()), new HttpHeaders());
        // the usual pairs: same dialect both ways, and translated
        List<Pair> pairs = List.of(new Pair(v1, v1, events(seeds.resolve("v1-chat-stream-include-usage.sse"))),
                new Pair(v1, azure, events(seeds.resolve("azure-chat-stream.sse"))),
                new Pair(azure, azure, events(seeds.resolve("azure-chat-stream-with-annotations.sse"))),
                new Pair(v1, azure, events(seeds.resolve("azure-tool-call-stream.sse"))));
        Method decode = Arrays.stream(BackendDialect.class.getMethods()).filter(m -> m.getName().equals("decodeChunk")).findFirst().orElseThrow();
        boolean decodesText = decode.getParameterTypes()[1] == String.class;
        Codec codec = (pair, encoder, data) -> {
            Object input = decodesText ? data : json.readUntrusted(data);
            CanonicalChunk chunk = (CanonicalChunk) decode.invoke(pair.backend, request, input);
            long bytes = 0;
            for (Object event : encoder.encode(chunk)) {
                bytes += wire(json, event).length;
            }
            return bytes;
        };
        // warm-up: as long as three measurements
        run(json, pairs, request, codec, 3 * nanosPerRun, threads);
        long[] results = new long[5];
        for (int i = 0; i < results.length; i++) {
            results[i] = run(json, pairs, request, codec, nanosPerRun, threads);
        }
        long[] sorted = results.clone();
        Arrays.sort(sorted);
        System.out.println("threads=" + threads + " ns_per_event=" + sorted[2] + " runs=" + Arrays.toString(results)
                + " decoder=" + (decodesText ? "text" : "tree"));
    }

    /**
     * An event as the gateway of that revision puts it on the wire: a frame already ({@code byte[]}), or its data's
     * text (or tree) framed and encoded as the response writer did then.
     */
    private static byte[] wire(Json json, Object event) {
        if (event instanceof byte[] frame) {
            return frame;
        }
        String data = event instanceof String text ? text : json.write((JsonNode) event);
        return ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    record Pair(CallerDialect caller, BackendDialect backend, List<String> events) {
    }

    interface Codec {
        long apply(Pair pair, StreamEncoder encoder, String data) throws Exception;
    }

    /** Streams through the codecs for {@code nanos} on each of {@code threads} threads: CPU nanoseconds per event. */
    private static long run(Json json, List<Pair> pairs, CanonicalRequest request, Codec codec, long nanos, int threads) throws Exception {
        AtomicLong events = new AtomicLong();
        AtomicLong cpu = new AtomicLong();
        AtomicLong sink = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                long start = System.nanoTime();
                long cpuStart = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
                long count = 0;
                long bytes = 0;
                try {
                    while (System.nanoTime() - start < nanos) {
                        for (Pair pair : pairs) {
                            StreamEncoder encoder = pair.caller.streamEncoder(request);
                            for (String data : pair.events) {
                                bytes += codec.apply(pair, encoder, data);
                                count++;
                            }
                            for (Object event : encoder.finish()) {
                                bytes += wire(json, event).length;
                            }
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                cpu.addAndGet(java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpuStart);
                events.addAndGet(count);
                sink.addAndGet(bytes);
            });
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            worker.join();
        }
        if (sink.get() == 0) {
            throw new IllegalStateException("no output");
        }
        return cpu.get() / events.get();
    }

    private static List<String> events(Path sse) throws Exception {
        List<String> data = new ArrayList<>();
        for (String line : Files.readAllLines(sse)) {
            if (line.startsWith("data:") && !line.substring(5).trim().equals("[DONE]")) {
                data.add(line.substring(5).trim());
            }
        }
        return data;
    }
}
