package com.llamagateway.gateway.tokens;

import com.llamagateway.gateway.protocol.CanonicalRequest;
import com.llamagateway.gateway.protocol.ChatMessage;
import com.llamagateway.gateway.protocol.Operation;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import tools.jackson.databind.node.StringNode;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A prompt's count is the same whether its texts are counted afresh or remembered from an earlier request: the chat
 * template's tokens plus each text counted as ordinary text, for texts on both sides of the length from which counts
 * are remembered, in any script, repeated or not.
 */
class PromptCountPropertiesTest {

    /** Shared by every try: later tries meet texts earlier ones left in its cache. */
    private static final LlamaTokenCounter COUNTER = new LlamaTokenCounter();
    /** Counts afresh every time, as the reference. */
    private static final LlamaTokenCounter REFERENCE = new LlamaTokenCounter();

    @Provide
    Arbitrary<String> texts() {
        // well-formed text (what the gateway's JSON reader passes on): no unpaired surrogate
        Arbitrary<String> words = Arbitraries.oneOf(
                Arbitraries.strings().alpha().numeric().withChars(" .,'\n\t!?-").ofMinLength(0).ofMaxLength(40),
                Arbitraries.strings().withCharRange('\u0400', '\u04ff').withChars(" \u00e9\u4e2d\u6587").ofMaxLength(20),
                Arbitraries.strings().withCharRange('\u0000', '\ud7ff').ofMaxLength(10),
                Arbitraries.of("\ud83e\udd99", "\ud83d\ude00\ud83d\ude00", " \ud83e\udd99s"));
        Arbitrary<String> long_ = words.list().ofMinSize(1).ofMaxSize(80).map(parts -> String.join(" ", parts));
        Arbitrary<String> fixed = Arbitraries.of("You are a meticulous assistant. ".repeat(12), "Tell me about llamas. ".repeat(20));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, words), net.jqwik.api.Tuple.of(4, long_), net.jqwik.api.Tuple.of(3, fixed));
    }

    private static CanonicalRequest chat(List<String> texts) {
        List<ChatMessage> messages = texts.stream().map(text -> new ChatMessage("user", StringNode.valueOf(text), null, List.of(), null)).toList();
        return new CanonicalRequest(Operation.CHAT, "m", messages, null, false, false, 10, null, null, null, null, null, Map.of(), Map.of());
    }

    @Property(tries = 300)
    void aRememberedCountEqualsAFreshOne(@ForAll("texts") String first, @ForAll("texts") String second, @ForAll("texts") String third) {
        List<String> texts = List.of(first, second, third, first);
        int expected = LlamaTokenCounter.CHAT_PRIMING_TOKENS;
        for (String text : texts) {
            expected += LlamaTokenCounter.CHAT_TOKENS_PER_MESSAGE + REFERENCE.count(text);
        }
        assertThat(COUNTER.prompt(chat(texts))).isEqualTo(expected);
        assertThat(COUNTER.prompt(chat(texts))).as("the same prompt again, from what was remembered").isEqualTo(expected);
    }
}
