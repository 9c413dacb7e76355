package com.llamagateway.gateway.e2e;

import com.azure.ai.inference.ChatCompletionsClient;
import com.azure.ai.inference.ChatCompletionsClientBuilder;
import com.azure.ai.inference.models.ChatCompletions;
import com.azure.ai.inference.models.ChatCompletionsOptions;
import com.azure.ai.inference.models.ChatRequestMessage;
import com.azure.ai.inference.models.ChatRequestUserMessage;
import com.azure.ai.inference.models.ModelInfo;
import com.azure.ai.inference.models.StreamingChatCompletionsUpdate;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.AddHeadersPolicy;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.llamagateway.simulator.Behaviour;
import com.llamagateway.simulator.Stats;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code /deployments/<name>/**}: unmodified official clients pointed at the pass-through URL as if it were the
 * deployment itself, the deployment receiving its own key and never the team's; the team's key, model permission and
 * request quota in front; bodies streamed both ways; failures and slow or leaving clients.
 */
class PassThroughEndToEndTest extends GatewayIntegrationTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE = new ParameterizedTypeReference<>() {
    };

    @Autowired
    MeterRegistry meters;

    private String passThrough(String deployment) {
        return baseUrl() + "/deployments/" + deployment;
    }

    /** What reached the deployment: its own key as a bearer token, nothing of the team's key in any header. */
    private void assertTheDeploymentGotItsOwnKey(String deployment, String teamKey) {
        Map<String, String> headers = simulator.deployment(deployment).stats().lastRequestHeaders();
        assertThat(headers).isNotEmpty();
        assertThat(headers.get("authorization")).isEqualTo("Bearer " + simulator.deployment(deployment).apiKey());
        assertThat(headers.values()).noneMatch(value -> value.contains(teamKey));
        assertThat(headers).containsKey("x-request-id");
    }

    private ChatCompletionsClient azure(String endpoint, String key) {
        return new ChatCompletionsClientBuilder().endpoint(endpoint).httpClient(new JdkHttpClientBuilder().build())
                .addPolicy(new AddHeadersPolicy(new HttpHeaders().set(HttpHeaderName.fromString("api-key"), key)))
                .retryOptions(new RetryOptions(new FixedDelayOptions(0, Duration.ofMillis(1))))
                .buildClient();
    }

    private OpenAIClient openAi(String baseUrl, String key) {
        return OpenAIOkHttpClient.builder().baseUrl(baseUrl).apiKey(key).maxRetries(0).timeout(Duration.ofSeconds(20)).build();
    }

    private static List<ChatRequestMessage> messages() {
        return List.of(new ChatRequestUserMessage("Tell me about llamas."));
    }

    /** A new team with a key; returns {id, key}. */
    private String[] newTeam(String models) {
        JsonNode team = admin("POST", "/admin/v1/teams", "{\"name\":\"pass-" + UUID.randomUUID() + "\""
                + (models == null ? "" : ",\"models\":" + models) + "}", 201);
        String id = team.get("id").asString();
        return new String[]{id, admin("POST", "/admin/v1/teams/" + id + "/keys", "{}", 201).get("key").asString()};
    }

    private JsonNode admin(String method, String path, String body, int status) {
        var request = anonymousHttp().method(HttpMethod.valueOf(method)).uri(path).header("Authorization", "Bearer " + ADMIN_TOKEN);
        var exchange = body == null ? request.exchange() : request.contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
        byte[] bytes = exchange.expectStatus().isEqualTo(status).expectBody().returnResult().getResponseBodyContent();
        return JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
    }

    private long remainingTokens(String teamId, String model) {
        for (JsonNode quota : admin("GET", "/admin/v1/teams/" + teamId + "/quotas", null, 200).get("quotas")) {
            if (quota.get("model").asString().equals(model)) {
                return quota.get("remaining").get("tokens").asLong();
            }
        }
        throw new AssertionError("no quota on " + model);
    }

    @Test
    void theAzureClientTalksToAServerlessDeploymentThroughPassThrough() {
        String key = teamKey();
        ChatCompletionsClient client = azure(passThrough(DEPLOYMENT_AZURE), key);

        ChatCompletions completions = client.complete(new ChatCompletionsOptions(messages()).setMaxTokens(6));
        assertThat(completions.getModel()).isEqualTo(MODEL_AZURE);
        assertThat(completions.getUsage().getCompletionTokens()).isEqualTo(6);
        assertTheDeploymentGotItsOwnKey(DEPLOYMENT_AZURE, key);
        assertThat(simulator.deployment(DEPLOYMENT_AZURE).stats().lastRequestHeaders()).as("the SDK's key header is replaced by the deployment's")
                .containsEntry("api-key", simulator.deployment(DEPLOYMENT_AZURE).apiKey());

        List<StreamingChatCompletionsUpdate> updates = new ArrayList<>();
        client.completeStream(new ChatCompletionsOptions(messages()).setMaxTokens(5)).forEach(updates::add);
        StringBuilder text = new StringBuilder();
        updates.forEach(u -> u.getChoices().forEach(c -> {
            if (c.getDelta() != null && c.getDelta().getContent() != null) {
                text.append(c.getDelta().getContent());
            }
        }));
        assertThat(text.toString()).isEqualTo(String.join(" ", java.util.Arrays.copyOf(Behaviour.DEFAULT_REPLY.split(" "), 5)));
        assertTheDeploymentGotItsOwnKey(DEPLOYMENT_AZURE, key);

        ModelInfo info = client.getModelInfo(); // GET /info, untranslated
        assertThat(info.getModelName()).isEqualTo(MODEL_AZURE);
    }

    @Test
    void theOpenAiClientTalksToTheLlamaApiOfAServerlessDeploymentAndItsUsageIsCharged() {
        String[] team = newTeam(null);
        admin("PUT", "/admin/v1/teams/" + team[0] + "/quotas/" + MODEL_V1, "{\"tokensPerMinute\":100000,\"requestsPerMinute\":100}", 200);
        OpenAIClient client = openAi(passThrough(DEPLOYMENT_V1) + "/v1", team[1]);

        long before = System.nanoTime();
        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder().model("anything")
                .addUserMessage("Tell me about llamas.").maxTokens(7).build());
        assertThat(completion.model()).as("the deployment's own answer").isEqualTo(MODEL_V1);
        long used = completion.usage().orElseThrow().totalTokens();
        assertTheDeploymentGotItsOwnKey(DEPLOYMENT_V1, team[1]);

        ChatCompletionCreateParams streamed = ChatCompletionCreateParams.builder().model("anything").addUserMessage("Tell me about llamas.")
                .maxTokens(9).streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(streamed)) {
            stream.stream().forEach(chunks::add);
        }
        CompletionUsage streamUsage = chunks.get(chunks.size() - 1).usage().orElseThrow();
        assertThat(streamUsage.completionTokens()).isEqualTo(9);
        used += streamUsage.totalTokens();

        // tokens are charged from the answers' usage (a JSON body, a stream's last chunk); the bucket refills meanwhile
        long remaining = remainingTokens(team[0], MODEL_V1);
        long refilledAtMost = 1 + (System.nanoTime() - before) / 1_000_000 * 100_000 / 60_000;
        assertThat(remaining).as("100,000 - %s used, plus at most %s refilled", used, refilledAtMost)
                .isBetween(100_000 - used, 100_000 - used + refilledAtMost);

        // and the usage ledger has both calls with the tokens the client received (written within its 1 s flush)
        JsonNode usage = null;
        for (long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos(); System.nanoTime() < deadline; ) {
            usage = admin("GET", "/admin/v1/usage?team=" + team[0] + "&groupBy=deployment", null, 200).get("usage");
            if (!usage.isEmpty() && usage.get(0).get("requests").asLong() == 2) {
                break;
            }
            sleep(100);
        }
        assertThat(usage).hasSize(1);
        assertThat(usage.get(0).get("deployment").asString()).isEqualTo(DEPLOYMENT_V1);
        assertThat(usage.get(0).get("requests").asLong()).isEqualTo(2);
        assertThat(usage.get(0).get("totalTokens").asLong()).isEqualTo(used);
    }


    @Test
    void aRawScorePostReachesTheManagedComputeEndpointAsItsConfiguredDeployment() {
        String key = teamKey();
        EntityExchangeResult<byte[]> result = anonymousHttp().post().uri("/deployments/" + DEPLOYMENT_SCORE + "/score")
                .header("Authorization", "Bearer " + key)
                .header("azureml-model-deployment", "some-other-deployment") // the gateway decides which deployment it reaches
                .header("x-request-id", "score-call-1")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"input_data\":{\"input_string\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"parameters\":{\"max_new_tokens\":4}}}")
                .exchange()
                .expectStatus().isOk()
                .expectHeader().valueEquals("x-request-id", "score-call-1")
                .expectHeader().valueEquals("x-gateway-deployment", DEPLOYMENT_SCORE)
                .expectHeader().exists("x-ratelimit-remaining-requests")
                .expectBody().returnResult();
        assertThat(JSON.readTree(result.getResponseBodyContent()).get("output").asString()).isNotBlank();
        assertTheDeploymentGotItsOwnKey(DEPLOYMENT_SCORE, key);
        Map<String, String> received = simulator.deployment(DEPLOYMENT_SCORE).stats().lastRequestHeaders();
        assertThat(received).containsEntry("azureml-model-deployment", simulator.deployment(DEPLOYMENT_SCORE).deploymentNames().get(0))
                .containsEntry("x-request-id", "score-call-1")
                .doesNotContainKey("api-key");
    }

    @Test
    void noKeyAWrongKeyAModelNotAllowedAndAnUnknownDeploymentAreRefusedInTheAzureShape() {
        anonymousHttp().post().uri("/deployments/" + DEPLOYMENT_SCORE + "/score").contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
                .exchange().expectStatus().isUnauthorized()
                .expectHeader().valueEquals("x-ms-error-code", "invalid_api_key")
                .expectBody().jsonPath("$.error.status").isEqualTo(401).jsonPath("$.error.code").isEqualTo("invalid_api_key");
        anonymousHttp().get().uri("/deployments/" + DEPLOYMENT_AZURE + "/info?api-version=2024-05-01-preview").header("api-key", "wrong-key")
                .exchange().expectStatus().isUnauthorized()
                .expectBody().jsonPath("$.error.message").value(message -> assertThat((String) message).contains("not valid"));

        String[] limited = newTeam("[\"" + MODEL_V1 + "\"]");
        anonymousHttp().post().uri("/deployments/" + DEPLOYMENT_SCORE + "/score").header("Authorization", "Bearer " + limited[1])
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
                .exchange().expectStatus().isForbidden()
                .expectBody().jsonPath("$.error.code").isEqualTo("model_not_allowed").jsonPath("$.error.status").isEqualTo(403);

        http().get().uri("/deployments/no-such-deployment/info").exchange().expectStatus().isNotFound()
                .expectBody().jsonPath("$.error.code").isEqualTo("not_found")
                .jsonPath("$.error.message").value(message -> assertThat((String) message).contains("no-such-deployment"));
        assertThat(simulator.deployment(DEPLOYMENT_SCORE).stats().requests()).as("nothing refused reached a deployment").isZero();
    }

    @Test
    void theTeamsRequestQuotaRefusesWith429AndItsHeaders() {
        String[] team = newTeam(null);
        admin("PUT", "/admin/v1/teams/" + team[0] + "/quotas/" + MODEL_SCORE, "{\"requestsPerMinute\":1}", 200);
        String body = "{\"input_data\":{\"input_string\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"parameters\":{\"max_new_tokens\":2}}}";

        anonymousHttp().post().uri("/deployments/" + DEPLOYMENT_SCORE + "/score").header("api-key", team[1])
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange().expectStatus().isOk()
                .expectHeader().valueEquals("x-ratelimit-limit-requests", "1")
                .expectHeader().valueEquals("x-ratelimit-remaining-requests", "0");
        EntityExchangeResult<byte[]> refused = anonymousHttp().post().uri("/deployments/" + DEPLOYMENT_SCORE + "/score").header("api-key", team[1])
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
                .expectStatus().isEqualTo(429)
                .expectHeader().valueEquals("x-ratelimit-limit-requests", "1")
                .expectHeader().valueEquals("x-ratelimit-remaining-requests", "0")
                .expectHeader().exists("retry-after-ms")
                .expectBody().jsonPath("$.error.code").isEqualTo("team_quota_exceeded").returnResult();
        long retryAfter = Long.parseLong(refused.getResponseHeaders().getFirst("Retry-After"));
        assertThat(retryAfter).as("one request a minute: the next in up to 60 s").isBetween(1L, 60L);
        assertThat(simulator.deployment(DEPLOYMENT_SCORE).stats().requests()).isEqualTo(1);
    }

    @Test
    void aStreamedAnswerArrivesChunkByChunk() {
        stream(DEPLOYMENT_V1, 2).blockLast(Duration.ofSeconds(20)); // warm-up: connections and JIT are not what is measured
        simulator.deployment(DEPLOYMENT_V1).behaviour(Behaviour.instant().withTokenDelay(Duration.ofMillis(150)));
        assertArrivesEventByEvent("Pass-through stream", stream(DEPLOYMENT_V1, 12)); // the deployment's own events, untranslated
    }

    @Test
    void aClientThatGoesAwayCancelsTheUpstreamRequest() throws InterruptedException {
        long cancelledBefore = passThroughCalls("cancelled");
        simulator.deployment(DEPLOYMENT_V1).behaviour(Behaviour.instant().withTokenDelay(Duration.ofMillis(200)));
        List<ServerSentEvent<String>> received = stream(DEPLOYMENT_V1, 50).take(3).collectList().block(Duration.ofSeconds(10));
        assertThat(received).hasSize(3);

        Stats stats = awaitCancelledStream(DEPLOYMENT_V1);
        assertThat(stats.streamsCancelled()).isEqualTo(1);
        assertThat(stats.streamsCompleted()).isZero();
        long streamedAtCancel = stats.tokensStreamed();
        Thread.sleep(600);
        assertThat(stats.tokensStreamed()).as("the deployment stopped producing").isEqualTo(streamedAtCancel).isLessThan(10);
        assertThat(passThroughCalls("cancelled")).as("the call ended as cancelled, not answered").isEqualTo(cancelledBefore + 1);
    }

    /** Pass-through calls that ended with this outcome so far ({@code gateway.passthrough.requests}). */
    private long passThroughCalls(String outcome) {
        return meters.find("gateway.passthrough.requests").tag("outcome", outcome).timers().stream().mapToLong(t -> t.count()).sum();
    }

    @Test
    void aDeploymentSilentMidStreamIsCutAfterTheIdleTimeout() throws InterruptedException {
        simulator.deployment(DEPLOYMENT_V1).behaviour(Behaviour.instant().withTokenDelay(Duration.ofSeconds(5)));
        long start = System.nanoTime();
        List<String> data = new ArrayList<>();
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        stream(DEPLOYMENT_V1, 3).doOnNext(event -> data.add(event.data())).doOnError(failure::set).onErrorResume(e -> Flux.empty())
                .blockLast(Duration.ofSeconds(15));
        long tookMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(data).as("the role chunk, then nothing more: the 5 s gap is never waited out").hasSize(1);
        assertThat(failure.get()).as("the answer is cut off, not ended").isNotNull();
        assertThat(tookMillis).as("cut after the 3 s stream-idle timeout").isGreaterThanOrEqualTo(2_900L);
        assertThat(awaitCancelledStream(DEPLOYMENT_V1).streamsCancelled()).as("the silent request is given up").isEqualTo(1);
    }

    @Test
    void aDeploymentThatNeverAnswersGets504() {
        simulator.deployment(DEPLOYMENT_AZURE).faults().hangNext(1);
        http().post().uri("/deployments/" + DEPLOYMENT_AZURE + "/chat/completions?api-version=2024-05-01-preview")
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange()
                .expectStatus().isEqualTo(504)
                .expectBody().jsonPath("$.error.code").isEqualTo("upstream_timeout").jsonPath("$.error.status").isEqualTo(504);
    }

    @Test
    void aBodyLargerThanTheBoundIsRefusedWith413WithOrWithoutContentLength() {
        byte[] large = new byte[300 * 1024]; // gateway.request.max-body-size is 256KB here
        java.util.Arrays.fill(large, (byte) 'a');
        http().post().uri("/deployments/" + DEPLOYMENT_SCORE + "/score").contentType(MediaType.APPLICATION_JSON).bodyValue(large)
                .exchange().expectStatus().isEqualTo(413).expectBody().jsonPath("$.error.code").isEqualTo("request_too_large");

        Flux<DataBuffer> chunked = Flux.range(0, 30).map(i -> DefaultDataBufferFactory.sharedInstance.wrap(new byte[10 * 1024]));
        http().post().uri("/deployments/" + DEPLOYMENT_SCORE + "/score").contentType(MediaType.APPLICATION_JSON).body(chunked, DataBuffer.class)
                .exchange().expectStatus().isEqualTo(413).expectBody().jsonPath("$.error.code").isEqualTo("request_too_large");
    }

    private Flux<ServerSentEvent<String>> stream(String deployment, int maxTokens) {
        String body = "{\"model\":\"any\",\"stream\":true,\"max_tokens\":" + maxTokens
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me about llamas.\"}]}";
        return WebClient.create(passThrough(deployment)).post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body).header("Authorization", "Bearer " + teamKey())
                .retrieve().bodyToFlux(SSE);
    }
}
