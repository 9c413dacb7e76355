package com.llamagateway.gateway.protocol;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JacksonException;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stream events' token reader against the tree reader that defines what an event means: on events of every
 * shape — the API's, and values of other types, fields twice, nulls, unnamed fields, a second document — both give
 * the same chunk or the same refusal. And the writer's text for what the readers do not produce.
 */
class StreamEventsTest {

    private static final Json JSON = Json.lenient();

    @Property(tries = 1000)
    void theTokenReaderAgreesWithTheTreeReader(@ForAll("events") String event, @ForAll Operation operation) {
        Object read = outcome(() -> StreamEvents.read(JSON, operation, event));
        Object tree = outcome(() -> OpenAiShape.readChunk(operation, JSON.readUntrusted(event)));
        assertThat(read).as(event).isEqualTo(tree);
        // and enough of the events are the token reader's own, not handed to the tree reader
        boolean tokens = outcome(() -> StreamEvents.readTokens(JSON, operation, event)) instanceof CanonicalChunk;
        Statistics.label("reader").collect(tokens ? "tokens" : "tree")
                .coverage(coverage -> coverage.check("tokens").percentage(share -> share >= 20));
    }

    /**
     * An event's data as received reads as its text does: parsed as UTF-8 where it is, and where it is not — a bad
     * sequence anywhere, a character cut, an encoded surrogate — as Java decodes it; and what a byte parser would take
     * for another encoding (a byte-order mark, NUL among the first bytes: UTF-16 or UTF-32 to Jackson) as the text.
     */
    @Property(tries = 1000)
    void theBytesOfAnEventReadAsItsText(@ForAll("events") String event, @ForAll("oddBytes") byte[] odd, @ForAll int at,
                                        @ForAll Operation operation) {
        byte[] utf8 = event.getBytes(StandardCharsets.UTF_8);
        int position = at % 4 == 0 ? 0 : Math.floorMod(at, utf8.length + 1);
        byte[] bytes = new byte[utf8.length + odd.length];
        System.arraycopy(utf8, 0, bytes, 0, position);
        System.arraycopy(odd, 0, bytes, position, odd.length);
        System.arraycopy(utf8, position, bytes, position + odd.length, utf8.length - position);
        String text = new String(bytes, StandardCharsets.UTF_8);
        assertThat(outcome(() -> StreamEvents.read(JSON, operation, bytes))).as(text).isEqualTo(outcome(() -> StreamEvents.read(JSON, operation, text)));
        Statistics.label("bytes").collect(Utf8.firstInvalid(bytes) < 0 ? "UTF-8" : "not UTF-8")
                .coverage(coverage -> coverage.check("not UTF-8").percentage(share -> share >= 20));
    }

    @Provide
    Arbitrary<byte[]> oddBytes() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.just(new byte[0])),
                net.jqwik.api.Tuple.of(6, Arbitraries.of(
                        new byte[]{(byte) 0xFF}, new byte[]{(byte) 0xC0, (byte) 0x80}, new byte[]{(byte) 0x80}, new byte[]{(byte) 0xE2, (byte) 0x82},
                        new byte[]{(byte) 0xED, (byte) 0xA0, (byte) 0x80}, new byte[]{(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
                        new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, new byte[]{0}, new byte[]{0, 0, 0}, new byte[]{' ', '\t'},
                        "é".getBytes(StandardCharsets.UTF_8), "\uD83E\uDD99".getBytes(StandardCharsets.UTF_8))));
    }

    /** The chunk, or what refused it: a GatewayError's message, or that it is not JSON. */
    private static Object outcome(java.util.function.Supplier<CanonicalChunk> read) {
        try {
            return read.get();
        } catch (GatewayError refused) {
            return "refused: " + refused.getMessage();
        } catch (JacksonException notJson) {
            return "not JSON";
        }
    }

    @Provide
    Arbitrary<String> events() {
        Arbitrary<String> toolCall = object(Map.of(
                "index", Arbitraries.oneOf(ints(), scalar()), "id", strings(), "type", strings(),
                "function", Arbitraries.oneOf(object(Map.of("name", strings(), "arguments", strings(), "extra", scalar())), scalar()),
                "other", scalar()));
        Arbitrary<String> delta = object(Map.of(
                "role", strings(), "content", strings(), "tool_calls", Arbitraries.oneOf(array(toolCall), scalar(), toolCall),
                "refusal", scalar(), "reasoning_content", strings()));
        Arbitrary<String> choice = object(Map.of(
                "index", ints(), "delta", Arbitraries.oneOf(delta, scalar()), "text", strings(), "finish_reason", strings(),
                "logprobs", Arbitraries.oneOf(scalar(), object(Map.of("content", array(scalar())))),
                "message", scalar(), "content_filter_results", object(Map.of("hate", object(Map.of("filtered", scalar()))))));
        Arbitrary<String> usage = object(Map.of("prompt_tokens", ints(), "completion_tokens", ints(), "total_tokens", ints(),
                "prompt_tokens_details", object(Map.of("cached_tokens", ints()))));
        Arbitrary<String> event = object(Map.of(
                "id", strings(), "object", strings(), "created", Arbitraries.oneOf(ints(), Arbitraries.of("1718726686", "9999999999999")),
                "model", strings(), "choices", Arbitraries.oneOf(array(choice), array(choice), scalar(), choice),
                "usage", Arbitraries.oneOf(usage, scalar()), "system_fingerprint", strings(),
                "prompt_filter_results", array(object(Map.of("prompt_index", ints())))));
        return Arbitraries.oneOf(event, event, event, event.map(e -> e + " {}"), scalar(), array(scalar()));
    }

    /** An object of some of {@code fields} (any of them twice now and then), in any order. */
    private static Arbitrary<String> object(Map<String, Arbitrary<String>> fields) {
        List<String> names = List.copyOf(fields.keySet());
        return Arbitraries.of(names).list().ofMaxSize(names.size() + 1).flatMap(chosen -> {
            Arbitrary<List<String>> values = Arbitraries.just(List.<String>of());
            for (String name : chosen) {
                values = values.flatMap(done -> fields.get(name).map(value -> {
                    List<String> more = new java.util.ArrayList<>(done);
                    more.add("\"" + name + "\":" + value);
                    return more;
                }));
            }
            return values.map(members -> "{" + String.join(",", members) + "}");
        });
    }

    private static Arbitrary<String> array(Arbitrary<String> element) {
        return element.list().ofMaxSize(3).map(elements -> "[" + String.join(",", elements) + "]");
    }

    /** Mostly strings, sometimes what the API does not give there. */
    private static Arbitrary<String> strings() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.of("\"\"", "\"stop\"", "\"assistant\"", "\"Hel\\\"lo\\n\"", "\"chatcmpl-1\"", "\"é\"")),
                net.jqwik.api.Tuple.of(1, scalar()));
    }

    private static Arbitrary<String> ints() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.of("0", "1", "2", "17", "-3")),
                net.jqwik.api.Tuple.of(1, Arbitraries.of("2147483648", "12345678901234567890", "1.5", "\"3\"", "null", "true")));
    }

    private static Arbitrary<String> scalar() {
        return Arbitraries.of("null", "true", "false", "0", "7", "2147483648", "1.5", "-2e3", "\"x\"", "\"5\"", "[]", "{}");
    }

    /**
     * A frame is strict UTF-8 with one line of data, whatever the text: line breaks and U+2028 escaped or passed as
     * JSON allows, a character beyond the BMP as its four bytes, and an unpaired surrogate (what a deployment's
     * escaped one reads into) escaped as it came, not replaced; its data reads back to the same text.
     */
    @Property(tries = 500)
    void aFrameIsOneLineOfStrictUtf8ThatReadsBackToTheSameText(@ForAll("texts") String content) {
        CanonicalChunk chunk = new CanonicalChunk(Operation.CHAT, "chatcmpl-1", 1718726686, "m",
                List.of(new CanonicalChunk.Choice(0, new CanonicalChunk.Delta(null, content, List.of()), null, null, null, Map.of())),
                null, Map.of());
        byte[] frame = StreamEvents.write(JSON, chunk, null, false, new ToolCallTracker());
        assertThat(Utf8.firstInvalid(frame)).as(content).isEqualTo(-1);
        String text = new String(frame, StandardCharsets.UTF_8);
        assertThat(text).startsWith("data: {").endsWith("}\n\n");
        assertThat(text.substring(0, text.length() - 2)).doesNotContain("\n", "\r");
        assertThat(StreamEvents.read(JSON, Operation.CHAT, EventFrames.data(frame)).choices().get(0).delta().content()).isEqualTo(content);
        boolean astral = content.codePoints().anyMatch(Character::isSupplementaryCodePoint);
        Statistics.label("characters").collect(astral ? "beyond the BMP" : content.chars().anyMatch(c -> Character.isSurrogate((char) c)) ? "unpaired surrogate" : "BMP")
                .coverage(coverage -> {
                    coverage.check("beyond the BMP").percentage(share -> share >= 5);
                    coverage.check("unpaired surrogate").percentage(share -> share >= 5);
                });
    }

    @Provide
    Arbitrary<String> texts() {
        Arbitrary<String> piece = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Arbitraries.strings().ofMaxLength(8)),
                net.jqwik.api.Tuple.of(2, Arbitraries.of("\n", "\r\n", "\u2028", "\"", "\\", "\u0000", "é", "日本", "\uD83D\uDE00", "\uFEFF")),
                net.jqwik.api.Tuple.of(1, Arbitraries.chars().range('\uD800', '\uDFFF').map(String::valueOf)));
        return piece.list().ofMaxSize(6).map(pieces -> String.join("", pieces));
    }

    @Test
    void unnamedFieldsAreWrittenAfterTheNamedOnesAndNeverOverThem() {
        CanonicalChunk chunk = new CanonicalChunk(Operation.CHAT, "chatcmpl-1", 1718726686, "m",
                List.of(new CanonicalChunk.Choice(0, new CanonicalChunk.Delta(null, "Hi", List.of(),
                        Map.of("role", JSON.readUntrusted("\"kept: no role was written\""), "content", JSON.readUntrusted("\"dropped\""))),
                        null, null, null, Map.of("finish_reason", JSON.readUntrusted("\"dropped\"")))),
                null, Map.of("usage", JSON.readUntrusted("{\"kept\":true}"), "model", JSON.readUntrusted("\"dropped\"")));
        byte[] frame = StreamEvents.write(JSON, chunk, null, false, new ToolCallTracker());
        assertThat(new String(frame, StandardCharsets.UTF_8)).isEqualTo("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1718726686,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\",\"role\":\"kept: no role was written\"},"
                + "\"finish_reason\":null,\"logprobs\":null}],\"usage\":{\"kept\":true}}\n\n");
        assertThat(EventFrames.data(StreamEvents.write(JSON, chunk, new Usage(1, 2, 3), false, new ToolCallTracker())))
                .contains("\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}").doesNotContain("kept\":true");
    }
}
