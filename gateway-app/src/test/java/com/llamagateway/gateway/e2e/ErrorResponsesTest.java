package com.llamagateway.gateway.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.security.web.server.WebFilterChainProxy;
import org.springframework.test.util.ReflectionTestUtils;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.resource.ResourceWebHandler;
import reactor.core.publisher.Flux;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input and failing deployments: the right status, an error body in the caller's dialect — v1
 * {@code {"error":{"message","type","param","code"}}}, azure-inference {@code {"error":{"code","message","status"}}} —
 * and an {@code x-request-id} on every answer.
 */
class ErrorResponsesTest extends GatewayIntegrationTest {

    private static final String V1_CHAT = "/v1/chat/completions";
    private static final String AZURE_CHAT = "/chat/completions?api-version=2024-05-01-preview";

    private WebTestClient.ResponseSpec post(String path, String body) {
        return http().post().uri(path).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    /** Asserts the status and the dialect's error envelope; returns the message. */
    private String expectError(WebTestClient.ResponseSpec response, String path, int status, String code, String param) {
        boolean v1 = !(path.startsWith("/chat/") || path.startsWith("/completions") || path.startsWith("/info") || path.startsWith("/models"));
        WebTestClient.BodyContentSpec body = response.expectStatus().isEqualTo(status)
                .expectHeader().exists("x-request-id")
                .expectHeader().contentType(MediaType.APPLICATION_JSON)
                .expectBody()
                .jsonPath("$.error.code").isEqualTo(code)
                .jsonPath("$.error.message").isNotEmpty();
        if (v1) {
            body.jsonPath("$.error.type").isNotEmpty();
            if (param == null) {
                body.jsonPath("$.error.param").isEmpty();
            } else {
                body.jsonPath("$.error.param").isEqualTo(param);
            }
        } else {
            body.jsonPath("$.error.status").isEqualTo(status).jsonPath("$.error.type").doesNotExist();
            if (param != null) {
                body.jsonPath("$.error.param").isEqualTo(param);
            }
        }
        String text = new String(body.returnResult().getResponseBodyContent(), StandardCharsets.UTF_8);
        assertThat(text).doesNotContain("at com.").doesNotContain("Exception");
        return text;
    }

    private static String chat(String model, String extra) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]" + extra + "}";
    }

    @ParameterizedTest
    @ValueSource(strings = {V1_CHAT, AZURE_CHAT})
    void malformedJson(String path) {
        expectError(post(path, "{\"model\": \"x\", \"messages\": [}"), path, 400, "invalid_json", null);
    }

    @ParameterizedTest
    @ValueSource(strings = {V1_CHAT, AZURE_CHAT})
    void emptyBodyAndNonObjectBody(String path) {
        expectError(http().post().uri(path).contentType(MediaType.APPLICATION_JSON).exchange(), path, 400, "invalid_json", null);
        expectError(post(path, "[1,2]"), path, 400, "invalid_type", null);
    }

    @ParameterizedTest
    @ValueSource(strings = {V1_CHAT, AZURE_CHAT})
    void missingMessages(String path) {
        expectError(post(path, "{\"model\":\"" + MODEL_V1 + "\"}"), path, 400, "missing_required_parameter", "messages");
        expectError(post(path, "{\"model\":\"" + MODEL_V1 + "\",\"messages\":[]}"), path, 400, "invalid_value", "messages");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/completions", "/completions"})
    void missingPrompt(String path) {
        expectError(post(path, "{\"model\":\"" + MODEL_V1 + "\",\"max_tokens\":5}"), path, 400, "missing_required_parameter", "prompt");
    }

    @ParameterizedTest(name = "{0} with {1}")
    @CsvSource(delimiter = '|', value = {
            V1_CHAT + "|,\"max_tokens\":\"ten\"|max_tokens",
            AZURE_CHAT + "|,\"max_tokens\":\"ten\"|max_tokens",
            V1_CHAT + "|,\"stream\":\"yes\"|stream",
            AZURE_CHAT + "|,\"stream\":\"yes\"|stream",
            V1_CHAT + "|,\"temperature\":\"hot\"|temperature",
            AZURE_CHAT + "|,\"temperature\":\"hot\"|temperature",
            V1_CHAT + "|,\"stop\":5|stop",
            AZURE_CHAT + "|,\"stop\":[\"a\",1]|stop",
            V1_CHAT + "|,\"n\":1.5|n",
            V1_CHAT + "|,\"stop_token_ids\":[\"x\"]|stop_token_ids",
            V1_CHAT + "|,\"ignore_eos\":1|ignore_eos",
            V1_CHAT + "|,\"stream_options\":{\"include_usage\":\"yes\"}|stream_options.include_usage"})
    void wrongTypes(String path, String extra, String param) {
        expectError(post(path, chat(MODEL_V1, extra)), path, 400, "invalid_type", param);
    }

    @ParameterizedTest
    @ValueSource(strings = {V1_CHAT, AZURE_CHAT})
    void wrongMessageShapes(String path) {
        expectError(post(path, "{\"model\":\"" + MODEL_V1 + "\",\"messages\":{\"role\":\"user\"}}"), path, 400, "invalid_type", "messages");
        expectError(post(path, "{\"model\":\"" + MODEL_V1 + "\",\"messages\":[{\"role\":\"king\",\"content\":\"Hi\"}]}"),
                path, 400, "invalid_value", "messages[0].role");
        expectError(post(path, "{\"model\":\"" + MODEL_V1 + "\",\"messages\":[{\"role\":\"user\",\"content\":7}]}"),
                path, 400, "invalid_type", "messages[0].content");
        expectError(post(path, "{\"model\":\"" + MODEL_V1 + "\",\"messages\":[{\"role\":\"user\"}]}"),
                path, 400, "missing_required_parameter", "messages[0].content");
    }

    @ParameterizedTest
    @ValueSource(strings = {V1_CHAT, AZURE_CHAT})
    void unknownModelIs404NamingTheModel(String path) {
        String body = expectError(post(path, chat("Llama-9-1T", "")), path, 404, "model_not_found", "model");
        assertThat(body).contains("Llama-9-1T");
    }

    @ParameterizedTest
    @ValueSource(strings = {V1_CHAT, AZURE_CHAT})
    void noModelWhenSeveralAreServedIs400(String path) {
        expectError(post(path, "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"), path, 400, "model_required", "model");
    }

    @ParameterizedTest
    @ValueSource(strings = {V1_CHAT, AZURE_CHAT})
    void bodyOverTheBoundWithContentLengthIs413(String path) {
        String big = chat(MODEL_V1, ",\"user\":\"" + "x".repeat(300 * 1024) + "\"");
        expectError(post(path, big), path, 413, "request_too_large", null);
        assertThat(simulator.deployment(DEPLOYMENT_V1).stats().requests()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {V1_CHAT, AZURE_CHAT})
    void chunkedBodyOverTheBoundIs413(String path) {
        byte[] piece = "x".repeat(16 * 1024).getBytes(StandardCharsets.UTF_8);
        Flux<DataBuffer> body = Flux.concat(
                Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(chat(MODEL_V1, "").replace("}", ",\"user\":\"").getBytes(StandardCharsets.UTF_8))),
                Flux.range(0, 20).map(i -> DefaultDataBufferFactory.sharedInstance.wrap(piece)),
                Flux.just(DefaultDataBufferFactory.sharedInstance.wrap("\"}".getBytes(StandardCharsets.UTF_8))));
        WebTestClient.ResponseSpec response = http().post().uri(path).contentType(MediaType.APPLICATION_JSON)
                .body(body, DataBuffer.class).exchange();
        expectError(response, path, 413, "request_too_large", null);
    }

    @ParameterizedTest
    @ValueSource(strings = {V1_CHAT, AZURE_CHAT})
    void deeplyNestedJsonIsRefused(String path) {
        String nested = "[".repeat(100) + "]".repeat(100);
        expectError(post(path, chat(MODEL_V1, ",\"user\":" + nested)), path, 400, "invalid_json", null);
    }

    @ParameterizedTest(name = "deployment answers {1} → {2} on {0}")
    @CsvSource({V1_CHAT + ",422,422,", AZURE_CHAT + ",422,422,", V1_CHAT + ",400,400,", V1_CHAT + ",500,502,upstream_error",
            AZURE_CHAT + ",500,502,upstream_error", V1_CHAT + ",503,503,upstream_unavailable", V1_CHAT + ",401,502,upstream_error",
            AZURE_CHAT + ",429,429,upstream_rate_limited"})
    void deploymentFailures(String path, int upstreamStatus, int status, String code) {
        if (upstreamStatus == 429) {
            // the pool's one deployment asked for 20 ms: tried once more after them, refused again
            simulator.deployment(DEPLOYMENT_V1).faults().failNext(429, java.time.Duration.ofMillis(20), 2);
        } else {
            simulator.deployment(DEPLOYMENT_V1).faults().failNext(upstreamStatus, 1);
        }
        long before = simulator.deployment(DEPLOYMENT_V1).stats().requests();
        WebTestClient.ResponseSpec response = post(path, chat(MODEL_V1, ",\"max_tokens\":3"));
        String body = expectError(response, path, status, code == null ? "upstream_error" : code, null);
        if (upstreamStatus < 500 && upstreamStatus != 401) {
            assertThat(body).contains("Simulated failure with status " + upstreamStatus); // the deployment's own message
        }
        if (upstreamStatus == 429) {
            response.expectHeader().valueEquals("Retry-After", "1");
            response.expectHeader().valueEquals("retry-after-ms", "20");
        }
        assertThat(simulator.deployment(DEPLOYMENT_V1).stats().requests() - before).as("calls to the deployment")
                .isEqualTo(upstreamStatus == 429 ? 2 : 1);
    }

    @Test
    void aDeploymentRefusalNamesTheParameter() {
        // best_of > 1 cannot be streamed: the Llama API refuses it, the caller sees which parameter
        expectError(post(V1_CHAT, chat(MODEL_V1, ",\"stream\":true,\"best_of\":3")), V1_CHAT, 422, "upstream_error", "best_of");
    }

    @Test
    void aDeploymentThatNeverAnswersIs504() {
        simulator.deployment(DEPLOYMENT_SCORE).faults().hangNext(1);
        expectError(post(AZURE_CHAT, chat(MODEL_SCORE, "")), AZURE_CHAT, 504, "upstream_timeout", null);
    }

    @Test
    void scoreDeploymentsRefuseWhatTheyCannotExpress() {
        String tools = ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]";
        expectError(post(V1_CHAT, chat(MODEL_SCORE, tools)), V1_CHAT, 400, "unsupported_parameter", "tools");
        expectError(post(V1_CHAT, chat(MODEL_SCORE, ",\"n\":2")), V1_CHAT, 400, "unsupported_parameter", "n");
        assertThat(simulator.deployment(DEPLOYMENT_SCORE).stats().requests()).isZero();
    }

    @Test
    void azureExtraParametersFollowTheHeader() {
        String body = chat(MODEL_V1, ",\"n\":2,\"max_tokens\":2");
        expectError(post(AZURE_CHAT, body), AZURE_CHAT, 400, "extra_parameters_not_allowed", "n");
        expectError(http().post().uri(AZURE_CHAT).header("extra-parameters", "sometimes").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body).exchange(), AZURE_CHAT, 400, "invalid_value", "extra-parameters");

        http().post().uri(AZURE_CHAT).header("extra-parameters", "drop").contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .exchange().expectStatus().isOk().expectBody().jsonPath("$.choices.length()").isEqualTo(1);
        http().post().uri(AZURE_CHAT).header("extra-parameters", "pass-through").contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .exchange().expectStatus().isOk().expectBody().jsonPath("$.choices.length()").isEqualTo(2);
        assertThat(simulator.deployment(DEPLOYMENT_V1).stats().lastRequestBody()).contains("\"n\":2");
    }

    @Test
    void llamaParametersPassThroughToTheDeployment() {
        String extra = ",\"n\":2,\"best_of\":3,\"logprobs\":2,\"ignore_eos\":false,\"use_beam_search\":false,\"stop_token_ids\":[128009],"
                + "\"skip_special_tokens\":true,\"top_p\":0.9,\"temperature\":0.2,\"presence_penalty\":0.1,\"stop\":\"never\",\"my_custom\":{\"a\":1}";
        http().post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON).bodyValue(chat(MODEL_AZURE, extra))
                .exchange().expectStatus().isOk().expectBody().jsonPath("$.choices.length()").isEqualTo(2)
                .jsonPath("$.choices[0].logprobs.tokens").isNotEmpty();
        String sent = simulator.deployment(DEPLOYMENT_AZURE).stats().lastRequestBody();
        assertThat(sent).contains("\"best_of\":3", "\"ignore_eos\":false", "\"use_beam_search\":false", "\"stop_token_ids\":[128009]",
                "\"skip_special_tokens\":true", "\"stop\":[\"never\"]", "\"my_custom\":{\"a\":1}");
        assertThat(simulator.deployment(DEPLOYMENT_AZURE).stats().lastRequestHeaders()).containsEntry("extra-parameters", "pass-through");
    }

    @Test
    void requestIdIsEchoedOrMade() {
        http().post().uri(V1_CHAT).header("x-request-id", "trace-42").contentType(MediaType.APPLICATION_JSON).bodyValue(chat(MODEL_V1, ""))
                .exchange().expectStatus().isOk().expectHeader().valueEquals("x-request-id", "trace-42");
        http().post().uri(V1_CHAT).header("x-request-id", "trace-42").contentType(MediaType.APPLICATION_JSON).bodyValue("{")
                .exchange().expectStatus().isBadRequest().expectHeader().valueEquals("x-request-id", "trace-42");
        http().get().uri("/v1/models").header("x-request-id", "bad id\twith tab").exchange()
                .expectHeader().valueMatches("x-request-id", "[0-9a-f-]{36}");
        assertThat(simulator.deployment(DEPLOYMENT_V1).stats().lastRequestHeaders()).containsEntry("x-request-id", "trace-42");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/embeddings", "/nowhere"})
    void unknownRoutesAnswerInTheirDialect(String path) {
        expectError(post(path, "{}"), path, 404, "not_found", null);
    }

    @Test
    void theSecurityFiltersRunWithoutACheckpointEach(@Autowired WebFilterChainProxy security) {
        assertThat(ReflectionTestUtils.getField(security, "filterChainDecorator")).extracting(decorator -> decorator.getClass().getSimpleName())
                .isEqualTo("SecurityFiltersInOrder");
    }

    /**
     * The gateway serves no static files: no path is looked up on the classpath first (that made every 404 cost more
     * CPU than a completion, bench/results/2026-12-03-routes.md).
     */
    @Test
    void noPathIsLookedUpAsAStaticFile(@Autowired ApplicationContext context) {
        assertThat(context.getBeansOfType(SimpleUrlHandlerMapping.class).values())
                .flatMap(mapping -> List.copyOf(mapping.getUrlMap().values()))
                .noneMatch(ResourceWebHandler.class::isInstance);
    }
}
