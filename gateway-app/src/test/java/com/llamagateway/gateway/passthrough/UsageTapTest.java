package com.llamagateway.gateway.passthrough;

import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.protocol.Usage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The usage of pass-through answers, read from their bytes however they are cut into chunks. */
class UsageTapTest {

    private static final Json JSON = Json.lenient();

    private static final String CHAT = """
            {"id":"a","object":"chat.completion","model":"Meta-Llama-3.1-70B-Instruct","choices":[{"index":0,\
            "message":{"role":"assistant","content":"The llama"},"finish_reason":"length"}],\
            "usage":{"prompt_tokens":11,"completion_tokens":5,"total_tokens":16}}""";

    /** A Llama API stream with include_usage, CRLF line ends, a comment and an event name thrown in. */
    private static final String STREAM = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\r\n\r\n"
            + ": keep-alive\r\n\r\n"
            + "event: message\r\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"The usage of llamas\"}}]}\r\n\r\n"
            + "data: {\"choices\":[],\r\ndata: \"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}\r\n\r\n"
            + "data: [DONE]\r\n\r\n";

    /** The bytes fed in chunks of {@code size}. */
    private static Usage read(String contentType, String body, int size, int limit) {
        UsageTap tap = UsageTap.of(contentType, JSON, limit);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i += size) {
            tap.accept(bytes, i, Math.min(size, bytes.length - i));
        }
        return tap.usage();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 64, 100_000})
    void aJsonAnswersUsageWhateverItsChunks(int size) {
        assertThat(read("application/json; charset=utf-8", CHAT, size, 1024)).isEqualTo(new Usage(11, 5, 16));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 17, 100_000})
    void aStreamsUsageFromTheEventThatCarriesItWhateverItsChunks(int size) {
        // a data field split over two lines is one document; "usage" in a content delta is not usage
        assertThat(read("text/event-stream", STREAM, size, 1024)).isEqualTo(new Usage(12, 3, 15));
    }

    @Test
    void anAnswerLargerThanTheLimitIsNotRead() {
        assertThat(read("application/json", CHAT, 10, CHAT.length() - 1)).isNull();
        assertThat(read("application/json", CHAT, 10, CHAT.length())).isEqualTo(new Usage(11, 5, 16));
        // an event over the limit is skipped; the ones after it are still read
        String big = "data: {\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2},\"pad\":\"" + "x".repeat(2000) + "\"}\n\n";
        String small = "data: {\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":5}}\n\n";
        assertThat(read("text/event-stream", big, 50, 1000)).isNull();
        assertThat(read("text/event-stream", big + small, 50, 1000)).isEqualTo(new Usage(4, 5, 9));
    }

    @Test
    void whatIsNotUsageIsNotRead() {
        assertThat(read("application/json", "{\"output\":\"The llama\"}", 5, 1024)).as("managed compute reports none").isNull();
        assertThat(read("application/json", "[{\"0\":\"The llama\"}]", 5, 1024)).isNull();
        assertThat(read("application/json", "{\"usage\":\"lots\"}", 5, 1024)).isNull();
        assertThat(read("application/json", "{\"usage\":{\"prompt_tokens\":-4,\"total_tokens\":1.5}}", 5, 1024)).isNull();
        assertThat(read("application/json", "{\"usage\":{\"prompt_tokens\":3", 5, 1024)).as("cut off").isNull();
        assertThat(read("text/plain", CHAT, 5, 1024)).as("not JSON by its type").isNull();
        assertThat(read(null, CHAT, 5, 1024)).isNull();
        assertThat(read("application/json", "", 5, 1024)).isNull();
    }

    @Test
    void onlyWhatCanStillBeReadIsCopied() {
        assertThat(UsageTap.of("text/plain", JSON, 1024).reading()).isFalse();
        assertThat(UsageTap.of("text/event-stream", JSON, 1024).reading()).isTrue();
        UsageTap json = UsageTap.of("application/json", JSON, 10);
        assertThat(json.reading()).isTrue();
        byte[] bytes = CHAT.getBytes(StandardCharsets.UTF_8);
        json.accept(bytes, 0, 11);
        assertThat(json.reading()).as("past the limit").isFalse();
    }

    @Test
    void anEmbeddingsUsageHasNoCompletionTokens() {
        assertThat(read("application/json", "{\"data\":[],\"usage\":{\"prompt_tokens\":8,\"total_tokens\":8}}", 4, 1024))
                .isEqualTo(new Usage(8, 0, 8));
    }
}
