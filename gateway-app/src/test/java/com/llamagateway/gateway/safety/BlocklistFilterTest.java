package com.llamagateway.gateway.safety;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BlocklistFilterTest {

    private final BlocklistFilter filter = new BlocklistFilter("blocked_term", List.of("forbidden fruit", "Straße", "砒霜"),
            List.of("\\bproject\\s+x-?\\d{2}\\b"), 1_000_000_000L);

    private Verdict judge(String text) {
        return filter.judge(text);
    }

    private static final com.llamagateway.gateway.protocol.Json JSON = com.llamagateway.gateway.protocol.Json.lenient();

    /** The verdict on a chat request's prompt, read by the v1 codec and put to the filter as the pipeline does. */
    private Verdict screenPrompt(String messages) {
        var request = new com.llamagateway.gateway.protocol.V1Codec(JSON).decodeRequest(com.llamagateway.gateway.protocol.Operation.CHAT,
                JSON.read(("{\"model\":\"m\",\"messages\":" + messages + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                new org.springframework.http.HttpHeaders());
        return filter.screen(Screening.input("r", "t", "m", SafetyPolicy.prompt(request))).block();
    }

    private static String parts(String... texts) {
        StringBuilder content = new StringBuilder("[");
        for (String text : texts) {
            content.append(content.length() > 1 ? "," : "").append("{\"type\":\"text\",\"text\":\"").append(text).append("\"}");
        }
        return "[{\"role\":\"user\",\"content\":" + content + "]}]";
    }

    @Test
    void aTermAloneInItsContentPartIsFoundThoughTheJoinedPartsGlueIt() {
        assertThat(judge("sayforbidden fruit")).as("what joining without a separator makes of it").isEqualTo(Verdict.allow());
        assertThat(screenPrompt(parts("say", "forbidden fruit"))).isInstanceOf(Verdict.Block.class);
        assertThat(screenPrompt(parts("forbidden fruit", "s", "cake"))).as("glued on the other side").isInstanceOf(Verdict.Block.class);
    }

    @Test
    void aTermSplitAcrossContentPartsIsFoundInThePartsJoined() {
        assertThat(screenPrompt(parts("Tell me about the forbid", "den fruit."))).isInstanceOf(Verdict.Block.class);
        assertThat(screenPrompt(parts("forbidden ", "fruit"))).isInstanceOf(Verdict.Block.class);
        assertThat(screenPrompt(parts("forbidden", "fruitcake"))).as("no part holds it and the join makes another word").isEqualTo(Verdict.allow());
    }

    @Test
    void toolCallsOfThePromptAreScreenedNameAndArguments() {
        String call = "[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"ok\",\"tool_calls\":[{\"id\":\"c1\","
                + "\"type\":\"function\",\"function\":{\"name\":\"%s\",\"arguments\":\"%s\"}}]}]";
        assertThat(screenPrompt(call.formatted("lookup", "{\\\"q\\\":\\\"the forbidden fruit\\\"}"))).isInstanceOf(Verdict.Block.class);
        assertThat(screenPrompt(call.formatted("Straße", "{}"))).as("the function's name").isInstanceOf(Verdict.Block.class);
        assertThat(screenPrompt(call.formatted("lookup", "{\\\"q\\\":\\\"fruit\\\"}"))).isEqualTo(Verdict.allow());
    }

    @Test
    void findsATermAsAWholeWordAndNamesWhichOne() {
        assertThat(judge("I would like the forbidden fruit, please")).isEqualTo(Verdict.block("blocked_term", null, "blocked term 1"));
        assertThat(judge("forbidden fruitcake and unforbidden fruit")).as("inside other words").isEqualTo(Verdict.allow());
        assertThat(judge("a fruit that is forbidden")).isEqualTo(Verdict.allow());
    }

    @Test
    void trivialObfuscationDoesNotGetATermPast() {
        assertThat(judge("FoRbIdDeN FRUIT")).as("mixed case").isInstanceOf(Verdict.Block.class);
        assertThat(judge("ｆｏｒｂｉｄｄｅｎ　ｆｒｕｉｔ")).as("full-width letters and space").isInstanceOf(Verdict.Block.class);
        assertThat(judge("for\u200Dbid\u200Bden\u2060 fr\u200Cuit\uFEFF")).as("zero-width joiner, space, non-joiner, word joiner, BOM")
                .isInstanceOf(Verdict.Block.class);
        assertThat(judge("forbid\u00ADden fruit")).as("soft hyphen").isInstanceOf(Verdict.Block.class);
        assertThat(judge("forbidden \n\t  fruit")).as("white space runs").isInstanceOf(Verdict.Block.class);
        assertThat(judge("the STRASSE is closed")).as("case folding: ß = SS").isInstanceOf(Verdict.Block.class);
        assertThat(judge("ﬀorbidden fruit".replace("ﬀ", "f"))).isInstanceOf(Verdict.Block.class);
    }

    @Test
    void termsInScriptsWithoutSpacesMatchInsideText() {
        assertThat(judge("他在茶里放了砒霜然后走了")).isInstanceOf(Verdict.Block.class);
    }

    @Test
    void patternsMatchTheNormalisedTextCaseInsensitively() {
        assertThat(judge("status of PROJECT X-42?")).isEqualTo(Verdict.block("blocked_term", null, "blocked pattern 1"));
        assertThat(judge("status of ｐｒｏｊｅｃｔ  x42")).isInstanceOf(Verdict.Block.class);
        assertThat(judge("project x-4")).isEqualTo(Verdict.allow());
    }

    @Test
    void aPathologicalPatternStopsAtItsTimeInsteadOfHoldingTheThread() {
        AtomicLong clockReads = new AtomicLong();
        LongSupplier millisecondPerRead = () -> clockReads.getAndIncrement() * 1_000_000L; // time passes only when it is looked at
        BlocklistFilter slow = new BlocklistFilter("blocked_term", List.of(), List.of("(.*a){14}c"), 50_000_000L, millisecondPerRead);
        // the text has the "c" every match needs (else the pattern is not tried at all), just not after an "a": years unbounded
        assertThatThrownBy(() -> slow.judge("a".repeat(40) + "xc")).isInstanceOf(FilterFailure.class)
                .hasMessage("a blocklist pattern took longer than its time");
        // read at the start (0 ms), then every 1,024 characters the pattern reads: it gives up at the first look past 50 ms
        assertThat(clockReads.get()).isEqualTo(1 + 51);
    }

    @Test
    void invalidSettingsAreRefusedWithWhatIsWrong() {
        assertThatThrownBy(() -> new BlocklistFilter("c", List.of(" \u200B "), List.of(), 1)).hasMessageContaining("term 1 is empty");
        assertThatThrownBy(() -> new BlocklistFilter("c", List.of(), List.of("(unclosed"), 1)).hasMessageContaining("pattern 1");
    }
}
