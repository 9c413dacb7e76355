package com.llamagateway.gateway.e2e;

import com.azure.ai.inference.ChatCompletionsClient;
import com.azure.ai.inference.ChatCompletionsClientBuilder;
import com.azure.ai.inference.models.ChatCompletionsOptions;
import com.azure.ai.inference.models.ChatRequestUserMessage;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.AddHeadersPolicy;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Team allowances seen by unmodified official clients: set through the admin API, enforced per team and model,
 * refused in the caller's dialect with the rate-limit headers the clients expose.
 */
class TeamQuotaEndToEndTest extends GatewayIntegrationTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A new team with a key; returns {id, key}. */
    private String[] newTeam() {
        JsonNode team = admin("POST", "/admin/v1/teams", "{\"name\":\"quota-" + java.util.UUID.randomUUID() + "\"}", 201);
        String id = team.get("id").asString();
        return new String[]{id, admin("POST", "/admin/v1/teams/" + id + "/keys", "{}", 201).get("key").asString()};
    }

    private JsonNode admin(String method, String path, String body, int status) {
        var request = anonymousHttp().method(org.springframework.http.HttpMethod.valueOf(method)).uri(path)
                .header("Authorization", "Bearer " + ADMIN_TOKEN);
        var exchange = body == null ? request.exchange() : request.contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
        byte[] bytes = exchange.expectStatus().isEqualTo(status).expectBody().returnResult().getResponseBodyContent();
        return JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
    }

    private OpenAIClient openAi(String key) {
        return OpenAIOkHttpClient.builder().baseUrl(baseUrl() + "/v1").apiKey(key).maxRetries(0).timeout(Duration.ofSeconds(20)).build();
    }

    private ChatCompletionsClient azure(String key) {
        return new ChatCompletionsClientBuilder().endpoint(baseUrl()).httpClient(new JdkHttpClientBuilder().build())
                .addPolicy(new AddHeadersPolicy(new HttpHeaders().set(HttpHeaderName.fromString("api-key"), key)))
                .retryOptions(new RetryOptions(new FixedDelayOptions(0, Duration.ofMillis(1))))
                .buildClient();
    }

    private static ChatCompletionCreateParams chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Tell me about llamas.").maxTokens(8).build();
    }

    @Test
    void openAiClientGetsARateLimitExceptionWithTheTeamScopeAndItsHeaders() {
        String[] team = newTeam();
        String[] other = newTeam();
        JsonNode set = admin("PUT", "/admin/v1/teams/" + team[0] + "/quotas/" + MODEL_V1, "{\"requestsPerMinute\":2}", 200);
        assertThat(set.get("requestsPerMinute").asLong()).isEqualTo(2);
        assertThat(set.get("remaining").get("requests").asLong()).isEqualTo(2);

        OpenAIClient client = openAi(team[1]);
        var first = client.chat().completions().withRawResponse().create(chat(MODEL_V1));
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().values("x-ratelimit-limit-requests")).containsExactly("2");
        assertThat(first.headers().values("x-ratelimit-remaining-requests")).containsExactly("1");
        first.parse();
        client.chat().completions().create(chat(MODEL_V1));

        RateLimitException refused = catchThrowableOfType(RateLimitException.class, () -> client.chat().completions().create(chat(MODEL_V1)));
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().values("x-ratelimit-limit-requests")).containsExactly("2");
        assertThat(refused.headers().values("x-ratelimit-remaining-requests")).containsExactly("0");
        assertThat(Long.parseLong(refused.headers().values("retry-after").get(0))).isBetween(1L, 30L);
        assertThat(Long.parseLong(refused.headers().values("retry-after-ms").get(0))).isBetween(1L, 30_000L);
        assertThat(refused.code()).contains("team_quota_exceeded");
        assertThat(refused.type()).contains("rate_limit_error");

        assertThat(openAi(other[1]).chat().completions().create(chat(MODEL_V1)).choices()).as("another team").hasSize(1);
        assertThat(client.chat().completions().create(chat(MODEL_AZURE)).choices()).as("another model of the same team").hasSize(1);
        JsonNode quotas = admin("GET", "/admin/v1/teams/" + team[0] + "/quotas", null, 200).get("quotas");
        assertThat(quotas.findValues("model").stream().map(JsonNode::asString).toList()).contains(MODEL_V1, MODEL_AZURE, MODEL_SCORE);
    }

    @Test
    void azureClientGetsA429InItsDialect() {
        String[] team = newTeam();
        admin("PUT", "/admin/v1/teams/" + team[0] + "/quotas/" + MODEL_AZURE, "{\"requestsPerMinute\":1,\"tokensPerMinute\":100000}", 200);
        ChatCompletionsClient client = azure(team[1]);
        ChatCompletionsOptions options = new ChatCompletionsOptions(List.<com.azure.ai.inference.models.ChatRequestMessage>of(
                new ChatRequestUserMessage("Tell me about llamas."))).setModel(MODEL_AZURE).setMaxTokens(8);
        assertThat(client.complete(options).getUsage().getTotalTokens()).isPositive();

        HttpResponseException refused = catchThrowableOfType(HttpResponseException.class, () -> client.complete(options));
        assertThat(refused.getResponse().getStatusCode()).isEqualTo(429);
        assertThat(refused.getResponse().getHeaderValue(HttpHeaderName.fromString("x-ms-error-code"))).isEqualTo("team_quota_exceeded");
        assertThat(refused.getResponse().getHeaderValue(HttpHeaderName.fromString("x-ratelimit-limit-tokens"))).isEqualTo("100000");
        assertThat(refused.getMessage()).contains("team_quota_exceeded");
    }

    @Test
    void aRequestLargerThanTheAllowanceIsA400AndASmallerOneIsAdmitted() {
        String[] team = newTeam();
        admin("PUT", "/admin/v1/teams/" + team[0] + "/quotas/" + MODEL_SCORE, "{\"tokensPerMinute\":200}", 200);
        String body = "{\"model\":\"" + MODEL_SCORE + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":%d}";
        EntityExchangeResult<byte[]> tooLarge = anonymousHttp().post().uri("/chat/completions").header("api-key", team[1])
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body.formatted(500)).exchange()
                .expectStatus().isBadRequest().expectBody().returnResult();
        assertThat(tooLarge.getResponseHeaders().getFirst("x-ms-error-code")).isEqualTo("request_exceeds_quota");
        assertThat(new String(tooLarge.getResponseBodyContent(), StandardCharsets.UTF_8)).contains("200 tokens per minute");

        EntityExchangeResult<byte[]> admitted = anonymousHttp().post().uri("/chat/completions").header("api-key", team[1])
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body.formatted(20)).exchange()
                .expectStatus().isOk().expectBody().returnResult();
        assertThat(admitted.getResponseHeaders().getFirst("x-ratelimit-limit-tokens")).isEqualTo("200");
        long used = JSON.readTree(admitted.getResponseBodyContent()).get("usage").get("total_tokens").asLong();
        assertThat(used).as("counted by the gateway for a score deployment").isEqualTo(11 + 20);
        long remaining = admin("GET", "/admin/v1/teams/" + team[0] + "/quotas", null, 200).get("quotas").findValues("remaining").stream()
                .filter(r -> r.has("tokens")).findFirst().orElseThrow().get("tokens").asLong();
        assertThat(remaining).as("settled: 200 - %s, plus what refilled since", used).isBetween(200 - used, 200L);
    }

    @Test
    void limitsAreValidatedAndChangesAudited() {
        String[] team = newTeam();
        JsonNode invalid = admin("PUT", "/admin/v1/teams/" + team[0] + "/quotas/" + MODEL_V1, "{\"tokensPerMinute\":0}", 400);
        assertThat(invalid.get("field").asString()).isEqualTo("tokensPerMinute");
        admin("PUT", "/admin/v1/teams/" + team[0] + "/quotas/no-such-model", "{\"tokensPerMinute\":10}", 404);
        admin("PUT", "/admin/v1/teams/no-such-team/quotas/" + MODEL_V1, "{\"tokensPerMinute\":10}", 404);
        admin("PUT", "/admin/v1/deployments/" + DEPLOYMENT_V1 + "/limits", "{\"tokensPerMinute\":10}", 400);
        admin("PUT", "/admin/v1/deployments/no-such-deployment/limits", "{\"tokensPerMinute\":10,\"requestsPerMinute\":1}", 404);

        admin("PUT", "/admin/v1/teams/" + team[0] + "/quotas/" + MODEL_V1, "{\"tokensPerMinute\":5000}", 200);
        JsonNode entry = admin("GET", "/admin/v1/audit?limit=1", null, 200).get("entries").get(0);
        assertThat(entry.get("action").asString()).isEqualTo("team.quota");
        assertThat(entry.get("targetId").asString()).isEqualTo(team[0] + "/" + MODEL_V1);
        assertThat(entry.get("after").get("tokensPerMinute").asLong()).isEqualTo(5000);

        JsonNode deployments = admin("GET", "/admin/v1/deployments", null, 200).get("deployments");
        assertThat(deployments.get(0).get("limits").get("tokensPerMinute").asLong()).isEqualTo(400_000);
        assertThat(deployments.get(0).get("limits").get("requestsPerMinute").asLong()).isEqualTo(1_000);
        assertThat(deployments.get(0).get("limits").get("remaining").get("requests").asLong()).isBetween(1L, 1_000L);
    }
}
