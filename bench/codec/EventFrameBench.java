import tools.jackson.core.JsonGenerator;
import tools.jackson.core.io.SegmentedStringWriter;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.BufferRecycler;
import tools.jackson.core.util.ByteArrayBuilder;
import tools.jackson.core.util.JsonRecyclerPools;
import tools.jackson.databind.json.JsonMapper;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The two ways of putting one stream event on the wire, in one JVM, alternating: "text" — the generator writes the
 * event's JSON into a String (Jackson's recycled segments), then "data: " + text + "\n\n" is encoded to UTF-8 (what
 * the gateway did before 1136263); "frame" — the generator writes UTF-8 straight into a recycled byte builder between
 * the frame's prefix and end (Json.writeEvent). The event is a typical content chunk of OpenAI's shape; with
 * {@code nonascii} its content has non-ASCII text (the String path then encodes rather than copies).
 *   java -cp <extracted gateway jar> bench/codec/EventFrameBench.java <rounds> <millis per measurement> [nonascii]
 * Prints CPU ns per event of each way per round, and the median of the rounds' B/A ratios.
 */
public class EventFrameBench {

    static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder().recyclerPool(JsonRecyclerPools.threadLocalPool()).build()).build();
    static final byte[] PREFIX = "data: ".getBytes(StandardCharsets.US_ASCII);
    static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);

    public static void main(String[] args) {
        int rounds = Integer.parseInt(args[0]);
        long millis = Long.parseLong(args[1]);
        String content = args.length > 2 && args[2].equals("nonascii") ? " très bien — 日本語" : " the quick brown";
        Consumer<JsonGenerator> event = g -> {
            g.writeStartObject();
            g.writeStringProperty("id", "chatcmpl-9f2c1a7e4b8d4e0f9a1b2c3d4e5f6a7b");
            g.writeStringProperty("object", "chat.completion.chunk");
            g.writeNumberProperty("created", 1718726686L);
            g.writeStringProperty("model", "Meta-Llama-3.1-70B-Instruct");
            g.writeArrayPropertyStart("choices");
            g.writeStartObject();
            g.writeNumberProperty("index", 0);
            g.writeObjectPropertyStart("delta");
            g.writeStringProperty("content", content);
            g.writeEndObject();
            g.writeStringProperty("finish_reason", null);
            g.writeName("logprobs");
            g.writeNull();
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
        };
        if (!Arrays.equals(text(event), frame(event))) {
            throw new IllegalStateException("the two ways differ: " + new String(text(event), StandardCharsets.UTF_8) + " / " + new String(frame(event), StandardCharsets.UTF_8));
        }
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20; i++) { // warm-up: C2 has compiled both by then (fewer left the first rounds slower)
            measure(cpu, () -> text(event), millis);
            measure(cpu, () -> frame(event), millis);
        }
        double[] ratios = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            boolean textFirst = r % 2 == 0;
            double a = textFirst ? measure(cpu, () -> text(event), millis) : 0;
            double b = measure(cpu, () -> frame(event), millis);
            if (!textFirst) {
                a = measure(cpu, () -> text(event), millis);
            }
            ratios[r] = b / a;
            System.out.printf("round %d (%s): text %.0f ns, frame %.0f ns, frame/text %.3f%n", r + 1, textFirst ? "A B" : "B A", a, b, ratios[r]);
        }
        Arrays.sort(ratios);
        System.out.printf("median frame/text %.3f (%s)%n", ratios[rounds / 2], content.equals(" the quick brown") ? "ASCII" : "non-ASCII");
    }

    interface Way {
        byte[] write();
    }

    /** CPU ns per event, writing events for {@code millis} of CPU time. */
    static double measure(ThreadMXBean cpu, Way way, long millis) {
        long start = cpu.getCurrentThreadCpuTime();
        long end = start + millis * 1_000_000;
        long count = 0;
        long sink = 0;
        long now;
        do {
            for (int i = 0; i < 1000; i++) {
                sink += way.write().length;
            }
            count += 1000;
            now = cpu.getCurrentThreadCpuTime();
        } while (now < end);
        if (sink == 0) {
            throw new IllegalStateException();
        }
        return (now - start) / (double) count;
    }

    static byte[] text(Consumer<JsonGenerator> writer) {
        BufferRecycler recycler = MAPPER.tokenStreamFactory()._getBufferRecycler();
        String data;
        try (SegmentedStringWriter text = new SegmentedStringWriter(recycler)) {
            try (JsonGenerator generator = MAPPER.createGenerator(text)) {
                writer.accept(generator);
            }
            data = text.getAndClear();
        } finally {
            recycler.releaseToPool();
        }
        return ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    static byte[] frame(Consumer<JsonGenerator> writer) {
        BufferRecycler recycler = MAPPER.tokenStreamFactory()._getBufferRecycler();
        try (ByteArrayBuilder frame = new ByteArrayBuilder(recycler)) {
            frame.write(PREFIX);
            try (JsonGenerator generator = MAPPER.createGenerator(frame)) {
                writer.accept(generator);
            }
            frame.write(END);
            return frame.getClearAndRelease();
        } finally {
            recycler.releaseToPool();
        }
    }
}
