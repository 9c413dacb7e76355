package com.llamagateway.gateway.usage;

import com.azure.ai.inference.ChatCompletionsClient;
import com.azure.ai.inference.ChatCompletionsClientBuilder;
import com.azure.ai.inference.models.ChatCompletions;
import com.azure.ai.inference.models.ChatCompletionsOptions;
import com.azure.ai.inference.models.ChatRequestMessage;
import com.azure.ai.inference.models.ChatRequestUserMessage;
import com.azure.ai.inference.models.StreamingChatCompletionsUpdate;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.AddHeadersPolicy;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.llamagateway.gateway.support.Replicas;
import com.llamagateway.gateway.team.TeamService;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The usage ledger end to end, on the database a subclass names: two teams call in both dialects, streamed and not,
 * with the official clients; the rows wait in the ledger's queue (its flush interval is an hour) until the gateway
 * shuts down gracefully; a second gateway on the same database then answers {@code /admin/v1/usage} — per team, per
 * model, per day, as CSV — with exactly the usage the clients received. Before the shutdown, {@code /actuator/prometheus}
 * shows the GenAI meters with those counts and {@code http_client_requests} for the deployments.
 */
abstract class UsageLedgerEndToEnd {

    static final String ADMIN_TOKEN = "usage-admin-token-0123456789abcdef";
    static final String MODEL_V1 = "Meta-Llama-3.1-70B-Instruct";      // simulated serverless, spoken to in v1
    static final String MODEL_AZURE = "Meta-Llama-3.1-8B-Instruct";    // simulated serverless, spoken to in azure-inference
    static final String MODEL_SCORE = "Meta-Llama-3-8B-Instruct";      // simulated managed compute: reports no usage, the gateway counts
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)\\{(.*)} (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** The database's properties (spring.r2dbc.*, spring.flyway.*), the same for both gateways. */
    abstract Map<String, String> database();

    /** What the clients were told, summed the way the ledger is asked. */
    private static final class Received {
        final Map<String, long[]> byTeam = new HashMap<>();
        final Map<String, long[]> byModel = new HashMap<>();
        final Map<String, Integer> streamsByTeam = new HashMap<>();
        long requests;
        long prompt;
        long completion;

        void add(String team, String model, long promptTokens, long completionTokens, boolean streamed) {
            assertThat(promptTokens).isPositive();
            assertThat(completionTokens).isPositive();
            for (long[] sums : List.of(byTeam.computeIfAbsent(team, t -> new long[3]), byModel.computeIfAbsent(model, m -> new long[3]))) {
                sums[0]++;
                sums[1] += promptTokens;
                sums[2] += completionTokens;
            }
            if (streamed) {
                streamsByTeam.merge(team, 1, Integer::sum);
            }
            requests++;
            prompt += promptTokens;
            completion += completionTokens;
        }
    }

    private static Map<String, String> gateway(Map<String, String> database) {
        Map<String, String> properties = new LinkedHashMap<>(database);
        properties.put("server.port", "0");
        properties.put("gateway.admin.token", ADMIN_TOKEN);
        properties.put("gateway.data-dir", "target/test-data");
        properties.put("gateway.usage.flush-interval", "1h"); // nothing written before the shutdown
        return properties;
    }

    private static String baseUrl(ConfigurableApplicationContext gateway) {
        return "http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port");
    }

    @Test
    void theLedgerSumsWhatTheClientsReceivedAndAGracefulShutdownLosesNone() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String teamA = "usage-a-" + run;
        String teamB = "usage-b-" + run;
        Instant before = Instant.now();
        Received received = new Received();
        String metrics;
        ConfigurableApplicationContext first = Replicas.start(gateway(database()));
        try {
            TeamService teams = first.getBean(TeamService.class);
            for (String team : List.of(teamA, teamB)) {
                String key = teams.createTeam("test", team, null, null).flatMap(t -> teams.createKey("test", t.id(), "k", null))
                        .map(TeamService.CreatedKey::secret).block(Duration.ofSeconds(10));
                callInEveryWay(baseUrl(first), key, team, received, team.equals(teamA) ? 1 : 2);
            }
            // queued, not yet written: the shutdown must write them
            UsageStore store = first.getBean(UsageStore.class);
            assertThat(store.sums(new UsageQuery(teamA, null, null, null, null, null, List.of())).collectList().block(Duration.ofSeconds(10)))
                    .isEmpty();
            assertThat(first.getBean(io.micrometer.core.instrument.MeterRegistry.class).get("gateway.usage.ledger.queued").gauge().value())
                    .isEqualTo(received.requests);
            metrics = new String(WebTestClient.bindToServer().baseUrl(baseUrl(first)).responseTimeout(Duration.ofSeconds(20)).build().get().uri("/actuator/prometheus").exchange()
                    .expectStatus().isOk().expectBody().returnResult().getResponseBodyContent(), StandardCharsets.UTF_8);
        } finally {
            first.close(); // graceful: the web server stops, then the ledger writes what is queued
        }

        assertGenAiMeters(metrics, received, teamA, teamB);

        ConfigurableApplicationContext second = Replicas.start(gateway(database()));
        try {
            WebTestClient admin = WebTestClient.bindToServer().baseUrl(baseUrl(second)).responseTimeout(Duration.ofSeconds(20))
                    .defaultHeader("Authorization", "Bearer " + ADMIN_TOKEN).build();
            // per team (by name), per model within the run's teams, per day
            for (String team : List.of(teamA, teamB)) {
                JsonNode rows = usage(admin, "?groupBy=team&team=" + team).get("usage");
                assertThat(rows).hasSize(1);
                assertSums(rows.get(0), received.byTeam.get(team));
                assertThat(rows.get(0).get("team").asString()).isEqualTo(team);
                assertThat(rows.get(0).get("ok").asLong()).isEqualTo(received.byTeam.get(team)[0]);
            }
            String window = "&from=" + before.minusSeconds(1) + "&to=" + Instant.now().plusSeconds(1);
            for (String model : List.of(MODEL_V1, MODEL_AZURE, MODEL_SCORE)) {
                long[] expected = received.byModel.get(model);
                long[] summed = new long[3];
                for (String team : List.of(teamA, teamB)) {
                    JsonNode rows = usage(admin, "?groupBy=model&team=" + team + "&model=" + model + window).get("usage");
                    rows.forEach(row -> {
                        assertThat(row.get("model").asString()).isEqualTo(model);
                        summed[0] += row.get("requests").asLong();
                        summed[1] += row.get("promptTokens").asLong();
                        summed[2] += row.get("completionTokens").asLong();
                    });
                }
                assertThat(summed).as(model).containsExactly(expected);
            }
            for (String team : List.of(teamA, teamB)) {
                JsonNode days = usage(admin, "?groupBy=day,team&team=" + team + window).get("usage");
                long[] summed = new long[3];
                days.forEach(day -> {
                    Instant start = Instant.parse(day.get("day").asString());
                    assertThat(start).isEqualTo(LocalDate.ofInstant(start, ZoneOffset.UTC).atStartOfDay(ZoneOffset.UTC).toInstant());
                    summed[0] += day.get("requests").asLong();
                    summed[1] += day.get("promptTokens").asLong();
                    summed[2] += day.get("completionTokens").asLong();
                    assertThat(day.get("totalTokens").asLong()).isEqualTo(day.get("promptTokens").asLong() + day.get("completionTokens").asLong());
                });
                assertThat(summed).as(team + " by day").containsExactly(received.byTeam.get(team));
            }
            // CSV: the same sums, as a spreadsheet reads them
            for (String team : List.of(teamA, teamB)) {
                String csv = new String(admin.get().uri("/admin/v1/usage?groupBy=team,model&team=" + team).accept(MediaType.parseMediaType("text/csv"))
                        .exchange().expectStatus().isOk().expectHeader().contentTypeCompatibleWith("text/csv")
                        .expectBody().returnResult().getResponseBodyContent(), StandardCharsets.UTF_8);
                String[] lines = csv.split("\r\n");
                assertThat(lines[0]).isEqualTo("team,teamId,model,requests,promptTokens,completionTokens,totalTokens,estimatedPromptTokens,"
                        + "reservedTokens,ok,upstreamErrors,contentFiltered,cancelled,meanLatencyMs");
                assertThat(lines).hasSize(4); // header and three models
                long[] summed = new long[3];
                for (int i = 1; i < lines.length; i++) {
                    String[] fields = lines[i].split(",");
                    assertThat(fields[0]).isEqualTo(team);
                    summed[0] += Long.parseLong(fields[3]);
                    summed[1] += Long.parseLong(fields[4]);
                    summed[2] += Long.parseLong(fields[5]);
                    assertThat(Long.parseLong(fields[6])).isEqualTo(Long.parseLong(fields[4]) + Long.parseLong(fields[5]));
                }
                assertThat(summed).as(team + " as CSV").containsExactly(received.byTeam.get(team));
            }
            // a question the API cannot answer is a 400 naming the parameter
            admin.get().uri("/admin/v1/usage?groupBy=week").exchange().expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.field").isEqualTo("groupBy");
            admin.get().uri("/admin/v1/usage?from=yesterday").exchange().expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.field").isEqualTo("from");
        } finally {
            second.close();
        }
    }

    private static JsonNode usage(WebTestClient admin, String query) {
        byte[] body = admin.get().uri("/admin/v1/usage" + query).exchange().expectStatus().isOk().expectBody().returnResult().getResponseBodyContent();
        return JSON.readTree(new String(body, StandardCharsets.UTF_8));
    }

    private static void assertSums(JsonNode row, long[] expected) {
        assertThat(new long[]{row.get("requests").asLong(), row.get("promptTokens").asLong(), row.get("completionTokens").asLong()})
                .containsExactly(expected);
        assertThat(row.get("totalTokens").asLong()).isEqualTo(expected[1] + expected[2]);
    }

    /** Six requests: v1 and Azure, streamed and not, over the three simulated deployments; {@code n} varies the sizes. */
    private static void callInEveryWay(String baseUrl, String key, String team, Received received, int n) {
        OpenAIClient openAi = OpenAIOkHttpClient.builder().baseUrl(baseUrl + "/v1").apiKey(key).maxRetries(0).timeout(Duration.ofSeconds(20)).build();
        HttpHeaders headers = new HttpHeaders().set(HttpHeaderName.fromString("api-key"), key);
        ChatCompletionsClient azure = new ChatCompletionsClientBuilder().endpoint(baseUrl).httpClient(new JdkHttpClientBuilder().build())
                .addPolicy(new AddHeadersPolicy(headers)).retryOptions(new RetryOptions(new FixedDelayOptions(0, Duration.ofMillis(1))))
                .buildClient();

        CompletionUsage chat = openAi.chat().completions().create(ChatCompletionCreateParams.builder().model(MODEL_V1)
                .addUserMessage("Tell me about llamas.").maxTokens(3L + n).build()).usage().orElseThrow();
        received.add(team, MODEL_V1, chat.promptTokens(), chat.completionTokens(), false);

        CompletionUsage[] streamed = new CompletionUsage[1];
        try (StreamResponse<ChatCompletionChunk> stream = openAi.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
                .model(MODEL_AZURE).addUserMessage("Tell me about alpacas, please.").maxTokens(5L + n)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunk -> chunk.usage().ifPresent(u -> streamed[0] = u));
        }
        received.add(team, MODEL_AZURE, streamed[0].promptTokens(), streamed[0].completionTokens(), true);

        CompletionUsage text = openAi.completions().create(CompletionCreateParams.builder().model(MODEL_SCORE)
                .prompt("The distance to the moon is").maxTokens(2L + n).build()).usage().orElseThrow();
        received.add(team, MODEL_SCORE, text.promptTokens(), text.completionTokens(), false);

        List<ChatRequestMessage> messages = List.of(new ChatRequestUserMessage("What do llamas eat?"));
        ChatCompletions azureChat = azure.complete(new ChatCompletionsOptions(messages).setModel(MODEL_SCORE).setMaxTokens(4 + n));
        received.add(team, MODEL_SCORE, azureChat.getUsage().getPromptTokens(), azureChat.getUsage().getCompletionTokens(), false);

        List<StreamingChatCompletionsUpdate> updates = new ArrayList<>();
        azure.completeStream(new ChatCompletionsOptions(messages).setModel(MODEL_V1).setMaxTokens(6 + n)).forEach(updates::add);
        StreamingChatCompletionsUpdate last = updates.get(updates.size() - 1);
        received.add(team, MODEL_V1, last.getUsage().getPromptTokens(), last.getUsage().getCompletionTokens(), true);

        ChatCompletions azureOnAzure = azure.complete(new ChatCompletionsOptions(messages).setModel(MODEL_AZURE).setMaxTokens(1 + n));
        received.add(team, MODEL_AZURE, azureOnAzure.getUsage().getPromptTokens(), azureOnAzure.getUsage().getCompletionTokens(), false);
    }

    private static void assertGenAiMeters(String scrape, Received received, String... teams) {
        for (String team : teams) {
            long[] expected = received.byTeam.get(team);
            assertThat(sum(scrape, "gen_ai_client_token_usage_sum", Map.of("team", team, "gen_ai_token_type", "input")))
                    .as(team + " input tokens").isEqualTo(expected[1]);
            assertThat(sum(scrape, "gen_ai_client_token_usage_sum", Map.of("team", team, "gen_ai_token_type", "output")))
                    .as(team + " output tokens").isEqualTo(expected[2]);
            assertThat(sum(scrape, "gen_ai_server_request_duration_seconds_count", Map.of("team", team, "outcome", "ok")))
                    .as(team + " requests").isEqualTo(expected[0]);
            assertThat(sum(scrape, "gen_ai_server_time_to_first_token_seconds_count", Map.of("team", team)))
                    .as(team + " streams").isEqualTo((double) received.streamsByTeam.get(team));
            assertThat(sum(scrape, "gen_ai_server_time_per_output_token_seconds_count", Map.of("team", team)))
                    .as(team + " streams with more than one output token").isEqualTo((double) received.streamsByTeam.get(team));
            assertThat(sum(scrape, "gen_ai_server_request_duration_seconds_count", Map.of("team", team, "gen_ai_operation_name", "text_completion",
                    "gen_ai_request_model", MODEL_SCORE, "deployment", "llama3-8b-managed", "gen_ai_provider_name", "azure.ai.inference")))
                    .as(team + " text completions on the managed deployment").isEqualTo(1.0);
        }
        // every call to a deployment observed by the WebClient Spring Boot built
        assertThat(sum(scrape, "http_client_requests_seconds_count", Map.of("method", "POST", "outcome", "SUCCESS")))
                .isGreaterThanOrEqualTo(received.requests);
        assertThat(sum(scrape, "http_client_requests_seconds_count", Map.of("uri", "/score"))).isZero(); // no per-URL series
        assertThat(sum(scrape, "http_server_requests_seconds_count", Map.of("uri", "/v1/chat/completions"))).isPositive();
        // no long-task timer per observation (management.metrics.observations.ignored-meters)
        assertThat(scrape).doesNotContain("http_server_requests_active").doesNotContain("http_client_requests_active");
    }

    /** The sum of a sample's values over every series whose labels include {@code labels}. */
    static double sum(String scrape, String name, Map<String, String> labels) {
        double total = 0;
        for (String line : scrape.split("\n")) {
            Matcher sample = SAMPLE.matcher(line);
            if (!sample.matches() || !sample.group(1).equals(name)) {
                continue;
            }
            Map<String, String> found = new HashMap<>();
            Matcher label = LABEL.matcher(sample.group(2));
            while (label.find()) {
                found.put(label.group(1), label.group(2));
            }
            if (found.entrySet().containsAll(labels.entrySet())) {
                total += Double.parseDouble(sample.group(3));
            }
        }
        return total;
    }
}
