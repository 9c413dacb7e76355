package com.llamagateway.gateway.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.springframework.http.HttpHeaders;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Coverage-guided fuzzing of the three codecs' decoders (Jazzer): whatever the bytes, a client's body is either
 * decoded or refused with a 4xx {@link GatewayError}, and a deployment's answer is decoded or refused with a
 * {@link GatewayError} — never another exception. The build fuzzes for a bounded time (JAZZER_FUZZ is set by the
 * pom); findings are kept under src/test/resources and replayed by every later build.
 */
class DecoderFuzzTest {

    private static final Json JSON = new Json(64, 1 << 20, 1 << 20);
    private static final V1Codec V1 = new V1Codec(JSON);
    private static final AzureInferenceCodec AZURE = new AzureInferenceCodec(JSON);
    private static final ScoreCodec SCORE = new ScoreCodec(JSON);
    private static final HttpHeaders PASS_THROUGH = new HttpHeaders();
    private static final CanonicalRequest CHAT = V1.decodeRequest(Operation.CHAT,
            JSON.read("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}".getBytes(StandardCharsets.UTF_8)), new HttpHeaders());
    private static final CanonicalRequest COMPLETION = V1.decodeRequest(Operation.COMPLETION,
            JSON.read("{\"model\":\"m\",\"prompt\":\"hi\"}".getBytes(StandardCharsets.UTF_8)), new HttpHeaders());

    static {
        PASS_THROUGH.set("extra-parameters", "pass-through");
    }

    @FuzzTest(maxDuration = "30s")
    void decodersRefuseOnlyWithTheirOwnErrors(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int target = input[0] & 0x0F;
        byte[] body = Arrays.copyOfRange(input, 1, input.length);
        Operation operation = (target & 1) == 0 ? Operation.CHAT : Operation.COMPLETION;
        CanonicalRequest request = operation == Operation.CHAT ? CHAT : COMPLETION;
        try {
            switch (target >> 1) {
                case 0 -> V1.decodeRequest(operation, JSON.read(body), new HttpHeaders());
                case 1 -> AZURE.decodeRequest(operation, JSON.read(body), new HttpHeaders());
                case 2 -> AZURE.decodeRequest(operation, JSON.read(body), PASS_THROUGH);
                case 3 -> V1.decodeResponse(request, answer(body));
                case 4 -> AZURE.decodeResponse(request, answer(body));
                case 5 -> SCORE.decodeResponse(request, answer(body));
                case 6 -> streamEvent(V1, request, body);
                default -> streamEvent(AZURE, request, body);
            }
        } catch (GatewayError e) {
            if (target >> 1 <= 2) {
                assertThat(e.status().is4xxClientError()).as("a client's body gets a 4xx: %s", e.getMessage()).isTrue();
            }
            assertThat(e.getMessage()).doesNotContain("tools.jackson").doesNotContain("java.").doesNotContain("Exception");
        } catch (NotJson ignored) {
            // a deployment's bytes that are not JSON: the upstream client maps that before any decoder
        }
    }

    /**
     * A stream event's data as received, read without a tree — and read as the tree reader, which defines what an
     * event means, reads its text: both fail on what is not JSON, both refuse the same events, both give the same chunk.
     */
    private static void streamEvent(BackendDialect dialect, CanonicalRequest request, byte[] body) {
        String data = new String(body, StandardCharsets.UTF_8);
        CanonicalChunk chunk;
        try {
            chunk = dialect.decodeChunk(request, body);
        } catch (JacksonException e) {
            assertThat(catchThrowable(() -> JSON.readUntrusted(data))).as("the tree reader fails too").isInstanceOf(JacksonException.class);
            throw new NotJson();
        } catch (GatewayError e) {
            assertThat(catchThrowable(() -> OpenAiShape.readChunk(request.operation(), JSON.readUntrusted(data))))
                    .as("the tree reader refuses it too").isInstanceOf(GatewayError.class).hasMessage(e.getMessage());
            throw e;
        }
        assertThat(chunk).isEqualTo(OpenAiShape.readChunk(request.operation(), JSON.readUntrusted(data)));
    }

    /** A deployment's answer as the upstream client hands it to a decoder: parsed JSON. */
    private static JsonNode answer(byte[] body) {
        try {
            return JSON.readUntrusted(new String(body, StandardCharsets.UTF_8));
        } catch (JacksonException e) {
            throw new NotJson();
        }
    }

    private static final class NotJson extends RuntimeException {
        NotJson() {
            super(null, null, false, false);
        }
    }
}
