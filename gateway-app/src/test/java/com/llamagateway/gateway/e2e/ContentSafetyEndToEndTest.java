package com.llamagateway.gateway.e2e;

import com.llamagateway.gateway.safety.WebhookFilter;
import com.llamagateway.gateway.support.Replicas;
import com.llamagateway.gateway.support.TestTeams;
import com.llamagateway.gateway.team.TeamService;
import com.llamagateway.simulator.Behaviour;
import com.llamagateway.simulator.LlamaSimulator;
import com.llamagateway.simulator.SimulatedDeployment;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The content-safety stage end to end: a gateway whose models have different chains, in front of simulated
 * deployments, a simulated Azure AI Content Safety resource and a simulated Llama Guard 3 deployment (both in
 * their documented wire formats), and a team's webhook checker.
 */
@ExtendWith(OutputCaptureExtension.class)
class ContentSafetyEndToEndTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String KEY = "safety-sim-key";
    private static final String WEBHOOK_SECRET = "webhook-signing-secret";
    private static final String BLOCKLIST_MODEL = "Meta-Llama-3.1-70B-Instruct"; // dots: configured with brackets
    private static final String CS_MODEL = "cs-model";
    private static final String CS_OPEN_MODEL = "cs-open-model";
    private static final String GUARD_MODEL = "guard-model";
    private static final String WEBHOOK_MODEL = "webhook-model";
    /** The blocklist on completions only: the simulator's tool calls carry the prompt as their argument. */
    private static final String TOOLS_MODEL = "tools-model";
    private static final Map<String, String> DEPLOYMENT_OF = Map.of(BLOCKLIST_MODEL, "chat-blocklist", CS_MODEL, "chat-cs",
            CS_OPEN_MODEL, "chat-cs-open", GUARD_MODEL, "chat-guard", WEBHOOK_MODEL, "chat-webhook", TOOLS_MODEL, "chat-tools");

    private static LlamaSimulator simulator;
    private static DisposableServer webhook;
    private static final AtomicInteger webhookCalls = new AtomicInteger();
    private static final AtomicInteger badSignatures = new AtomicInteger();
    private static final AtomicReference<JsonNode> lastWebhookRequest = new AtomicReference<>();
    private static final AtomicReference<String> lastWebhookAuthorization = new AtomicReference<>();
    private static volatile String webhookOverride;
    private static ConfigurableApplicationContext gateway;
    private static String teamKey;

    @BeforeAll
    static void start() {
        LlamaSimulator.Builder builder = LlamaSimulator.builder();
        DEPLOYMENT_OF.values().forEach(name -> builder.deployment(SimulatedDeployment.serverless(name, "backend-" + name, KEY)));
        builder.deployment(SimulatedDeployment.llamaGuard("llama-guard-3", "Llama-Guard-3-8B", KEY));
        builder.deployment(SimulatedDeployment.contentSafety("content-safety", KEY));
        simulator = builder.start(0);
        webhook = HttpServer.create().host("127.0.0.1").port(0).route(routes -> routes.post("/check", (request, response) ->
                request.receive().aggregate().asString(StandardCharsets.UTF_8).flatMap(body -> {
                    webhookCalls.incrementAndGet();
                    lastWebhookAuthorization.set(request.requestHeaders().get("Authorization"));
                    String expected = "sha256=" + WebhookFilter.sign(WEBHOOK_SECRET.getBytes(StandardCharsets.UTF_8), body);
                    if (!expected.equals(request.requestHeaders().get(WebhookFilter.SIGNATURE_HEADER))) {
                        badSignatures.incrementAndGet();
                        return response.status(401).send().then();
                    }
                    JsonNode screening = JSON.readTree(body);
                    lastWebhookRequest.set(screening);
                    String text = screening.get("text").asString();
                    String answer = webhookOverride != null ? webhookOverride
                            : text.contains("acme merger") ? "{\"action\":\"block\",\"category\":\"company_secret\",\"severity\":3,\"reason\":\"M&A\"}"
                            : text.contains("competitor") ? "{\"action\":\"annotate\",\"category\":\"mentions_competitor\"}"
                            : "{\"action\":\"allow\"}";
                    return response.header("Content-Type", "application/json").sendString(Mono.just(answer)).then();
                }))).bindNow();

        Map<String, String> p = new HashMap<>();
        p.put("server.port", "0");
        p.put("spring.r2dbc.url", "r2dbc:h2:mem:///safety-e2e?options=DB_CLOSE_DELAY=-1");
        p.put("spring.flyway.url", "jdbc:h2:mem:safety-e2e;DB_CLOSE_DELAY=-1");
        p.put("gateway.admin.token", "safety-admin-token-0123456789abcdef");
        p.put("gateway.data-dir", "target/test-data");
        p.put("gateway.simulator.enabled", "false");
        DEPLOYMENT_OF.forEach((model, name) -> deployment(p, name, model, "v1"));
        deployment(p, "llama-guard-3", "Llama-Guard-3-8B", "v1");
        p.put("gateway.deployments.chat-cs.dialect", "azure-inference");
        p.put("gateway.safety.stream.window", "48");
        p.put("gateway.safety.stream.overlap", "24");
        p.put("gateway.safety.filters.blocklist.category", "confidential");
        p.put("gateway.safety.filters.blocklist.terms[0]", "forbidden fruit");
        p.put("gateway.safety.filters.blocklist.terms[1]", "project nightingale");
        String cs = simulator.baseUrl("content-safety");
        for (String name : List.of("cs-closed", "cs-open")) {
            p.put("gateway.safety.filters." + name + ".type", "azure-content-safety");
            p.put("gateway.safety.filters." + name + ".endpoint", cs);
            p.put("gateway.safety.filters." + name + ".api-key", KEY);
            p.put("gateway.safety.filters." + name + ".timeout", "400ms");
            p.put("gateway.safety.filters." + name + ".thresholds.[Violence]", "4");
        }
        p.put("gateway.safety.filters.cs-open.on-failure", "open");
        p.put("gateway.safety.filters.guard.type", "llama-guard");
        p.put("gateway.safety.filters.guard.deployment", "llama-guard-3");
        p.put("gateway.safety.filters.checker.type", "webhook");
        p.put("gateway.safety.filters.checker.url", "http://127.0.0.1:" + webhook.port() + "/check");
        p.put("gateway.safety.filters.checker.secret", WEBHOOK_SECRET);
        p.put("gateway.safety.filters.checker.headers.[Authorization]", "Bearer checker-token");
        chain(p, "[" + BLOCKLIST_MODEL + "]", "blocklist");
        chain(p, CS_MODEL, "cs-closed");
        p.put("gateway.safety.models." + CS_OPEN_MODEL + ".input[0]", "cs-open");
        chain(p, GUARD_MODEL, "guard");
        chain(p, WEBHOOK_MODEL, "checker");
        p.put("gateway.safety.models." + TOOLS_MODEL + ".output[0]", "blocklist");
        gateway = Replicas.start(p);
        teamKey = TestTeams.newKey(gateway.getBean(TeamService.class));
    }

    private static void deployment(Map<String, String> p, String name, String model, String dialect) {
        p.put("gateway.deployments." + name + ".kind", "serverless");
        p.put("gateway.deployments." + name + ".url", simulator.baseUrl(name));
        p.put("gateway.deployments." + name + ".api-key", KEY);
        p.put("gateway.deployments." + name + ".model", model);
        p.put("gateway.deployments." + name + ".dialect", dialect);
    }

    private static void chain(Map<String, String> p, String modelKey, String filter) {
        p.put("gateway.safety.models." + modelKey + ".input[0]", filter);
        p.put("gateway.safety.models." + modelKey + ".output[0]", filter);
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (webhook != null) {
            webhook.disposeNow();
        }
        if (simulator != null) {
            simulator.close();
        }
    }

    @AfterEach
    void reset() {
        simulator.reset();
        webhookOverride = null;
    }

    private static String baseUrl() {
        return "http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port");
    }

    private static WebTestClient http() {
        return WebTestClient.bindToServer().baseUrl(baseUrl()).responseTimeout(Duration.ofSeconds(20))
                .defaultHeader("Authorization", "Bearer " + teamKey).build();
    }

    private static EntityExchangeResult<byte[]> post(String path, String body) {
        return http().post().uri(path).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange().expectBody().returnResult();
    }

    private static JsonNode json(EntityExchangeResult<byte[]> result) {
        return JSON.readTree(new String(result.getResponseBodyContent(), StandardCharsets.UTF_8));
    }

    private static String chat(String model, String contentJson) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":200,\"messages\":[{\"role\":\"user\",\"content\":" + contentJson + "}]}";
    }

    private static String quoted(String text) {
        return JSON.writeValueAsString(text);
    }

    private static SimulatedDeployment deploymentOf(String model) {
        return simulator.deployment(DEPLOYMENT_OF.get(model));
    }

    private static double meter(String name, String... tags) {
        var search = gateway.getBean(MeterRegistry.class).find(name).tags(tags);
        return search.counter() == null ? 0 : search.counter().count();
    }

    // ------------------------------------------------------------------ usage ledger

    @Test
    void aPromptTheFiltersRefuseIsInTheUsageLedgerAsContentFilteredWithNoTokens() {
        com.llamagateway.gateway.usage.UsageStore usage = gateway.getBean(com.llamagateway.gateway.usage.UsageStore.class);
        com.llamagateway.gateway.usage.UsageLedger ledger = gateway.getBean(com.llamagateway.gateway.usage.UsageLedger.class);
        java.util.function.Supplier<long[]> sums = () -> {
            ledger.flush().block(Duration.ofSeconds(10));
            return usage.sums(new com.llamagateway.gateway.usage.UsageQuery(null, BLOCKLIST_MODEL, null, null, null, null, List.of()))
                    .map(row -> new long[]{row.contentFiltered(), row.totalTokens()}).blockFirst(Duration.ofSeconds(10));
        };
        long[] before = sums.get();

        assertThat(post("/v1/chat/completions", chat(BLOCKLIST_MODEL, quoted("Tell me about the forbidden fruit."))).getStatus().value()).isEqualTo(400);

        long[] after = sums.get();
        assertThat(after[0] - (before == null ? 0 : before[0])).isEqualTo(1);
        assertThat(after[1] - (before == null ? 0 : before[1])).as("nothing was served").isZero();
    }

    // ------------------------------------------------------------------ blocklist

    @Test
    void aBlockedTermIsFoundThroughContentPartsCaseFullWidthAndZeroWidthCharacters(CapturedOutput output) {
        List<String> disguised = List.of(
                "[{\"type\":\"text\",\"text\":\"Tell me about the forbid\"},{\"type\":\"text\",\"text\":\"den fruit.\"}]",
                quoted("Tell me about the FoRbIdDeN FRUIT."),
                quoted("Tell me about the ｆｏｒｂｉｄｄｅｎ　ｆｒｕｉｔ."),
                quoted("Tell me about the for\u200Dbid\u200Bden fr\u200Cuit."),
                "[{\"type\":\"text\",\"text\":\"What is\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/a.png\"}},"
                        + "{\"type\":\"text\",\"text\":\" Project\u2060 NIGHTINGALE?\"}]");
        for (String content : disguised) {
            EntityExchangeResult<byte[]> result = post("/v1/chat/completions", chat(BLOCKLIST_MODEL, content));
            assertThat(result.getStatus().value()).as(content).isEqualTo(400);
            JsonNode error = json(result).get("error");
            assertThat(error.get("code").asString()).isEqualTo("content_filter");
            assertThat(error.get("type").asString()).isEqualTo("invalid_request_error");
            assertThat(error.get("message").asString()).contains("filter 'blocklist'", "category 'confidential'");
            JsonNode fired = error.get("innererror").get("content_filter_result").get("confidential");
            assertThat(fired.get("filtered").asBoolean()).isTrue();
            assertThat(fired.get("filter").asString()).isEqualTo("blocklist");
        }
        assertThat(post("/v1/completions", "{\"model\":\"" + BLOCKLIST_MODEL + "\",\"prompt\":[\"fine\",\"the forbidden fruit\"]}")
                .getStatus().value()).as("text completion prompts").isEqualTo(400);
        assertThat(deploymentOf(BLOCKLIST_MODEL).stats().requests()).as("the deployment was never called").isZero();
        assertThat(meter("gateway.safety.blocks", "filter", "blocklist", "direction", "input", "category", "confidential")).isGreaterThanOrEqualTo(6);
        assertThat(output.getOut()).contains("Content blocked on the input of request", "filter blocklist, category confidential")
                .doesNotContain("orbidden").doesNotContain("ightingale");

        EntityExchangeResult<byte[]> clean = post("/v1/chat/completions", chat(BLOCKLIST_MODEL, quoted("A forbidden fruitcake recipe?")));
        assertThat(clean.getStatus().value()).as("a term inside another word is not the term").isEqualTo(200);
    }

    @Test
    void aTermAloneInItsContentPartOrInAToolCallOfThePromptIsBlocked() {
        String alone = "[{\"type\":\"text\",\"text\":\"say\"},{\"type\":\"text\",\"text\":\"Project Nightingale\"}]";
        assertThat(post("/v1/chat/completions", chat(BLOCKLIST_MODEL, alone)).getStatus().value()).as("a term alone in its part").isEqualTo(400);
        String toolCall = "{\"model\":\"" + BLOCKLIST_MODEL + "\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"lookup\","
                + "\"arguments\":\"{\\\"q\\\":\\\"the forbidden fruit\\\"}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"none\"}]}";
        for (String path : List.of("/v1/chat/completions", "/chat/completions?api-version=2024-05-01-preview")) {
            EntityExchangeResult<byte[]> result = post(path, toolCall);
            assertThat(result.getStatus().value()).as("tool-call arguments of the prompt on " + path).isEqualTo(400);
            assertThat(json(result).get("error").get("code").asString()).isEqualTo("content_filter");
        }
        assertThat(deploymentOf(BLOCKLIST_MODEL).stats().requests()).as("the deployment was never called").isZero();
    }

    @Test
    void toolCallArgumentsOfACompletionAreScreenedStreamedOrNot() {
        String tools = "\"tool_choice\":\"required\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"parameters\":{\"type\":\"object\"}}}]";
        String blocked = "{\"model\":\"" + TOOLS_MODEL + "\",\"max_tokens\":50," + tools
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"look up project nightingale\"}]}";
        String clean = blocked.replace("project nightingale", "the llamas of Peru");

        JsonNode passed = json(post("/v1/chat/completions", clean)).get("choices").get(0);
        assertThat(passed.get("finish_reason").asString()).isEqualTo("tool_calls");
        assertThat(passed.get("message").get("tool_calls").get(0).get("function").get("arguments").asString()).contains("llamas of Peru");

        JsonNode withheld = json(post("/v1/chat/completions", blocked));
        assertThat(withheld.toString()).doesNotContain("ightingale");
        assertThat(withheld.get("choices").get(0).get("finish_reason").asString()).isEqualTo("content_filter");
        assertThat(withheld.get("choices").get(0).get("message").path("tool_calls").isEmpty()).isTrue();

        for (String body : List.of(clean, blocked)) {
            List<String> events = WebClient.create(baseUrl()).post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                    .header("Authorization", "Bearer " + teamKey).bodyValue(body.replace("{\"model\"", "{\"stream\":true,\"model\""))
                    .retrieve().bodyToFlux(new ParameterizedTypeReference<ServerSentEvent<String>>() {
                    })
                    .map(ServerSentEvent::data).collectList().block(Duration.ofSeconds(20));
            assertThat(events).last().isEqualTo("[DONE]");
            String all = String.join("\n", events);
            if (body == clean) {
                assertThat(all).contains("llamas of").contains("\"finish_reason\":\"tool_calls\"");
            } else {
                // the simulator sends the arguments in two fragments: the term is split between them
                assertThat(all).doesNotContain("ightingale").doesNotContain("nigh").contains("\"finish_reason\":\"content_filter\"");
            }
        }
    }

    @Test
    void theOpenAiClientAndTheAzureDialectSeeTheRefusalInTheirOwnShape() {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(baseUrl() + "/v1").apiKey(teamKey).maxRetries(0).build();
        assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder().model(BLOCKLIST_MODEL)
                .addUserMessage("Where is the Forbidden Fruit kept?").build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(400);
                    assertThat(e.code()).contains("content_filter");
                    assertThat(e.getMessage()).contains("category 'confidential'");
                });
        JsonNode azure = json(post("/chat/completions?api-version=2024-05-01-preview", chat(BLOCKLIST_MODEL, quoted("the forbidden fruit"))));
        assertThat(azure.get("error").get("code").asString()).isEqualTo("content_filter");
        assertThat(azure.get("error").get("status").asInt()).isEqualTo(400);
        assertThat(azure.get("error").get("innererror").get("content_filter_result").get("confidential").get("filtered").asBoolean()).isTrue();
    }

    @Test
    void aBlockedCompletionIsWithheldWithContentFilterAndItsUsageIsStillReported() {
        deploymentOf(BLOCKLIST_MODEL).behaviour(Behaviour.instant().withReply("The code name is project nightingale , keep it quiet ."));
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(baseUrl() + "/v1").apiKey(teamKey).maxRetries(0).build();
        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder().model(BLOCKLIST_MODEL)
                .addUserMessage("What is the code name?").build());
        assertThat(completion.choices().get(0).finishReason().asString()).isEqualTo("content_filter");
        assertThat(completion.choices().get(0).message().content().orElse("")).isEmpty();
        assertThat(completion.usage().orElseThrow().completionTokens()).as("the generated tokens are still charged").isEqualTo(11);
        JsonNode raw = json(post("/v1/chat/completions", chat(BLOCKLIST_MODEL, quoted("What is the code name?"))));
        assertThat(raw.toString()).doesNotContain("ightingale");
        assertThat(raw.get("choices").get(0).get("content_filter_results").get("confidential").get("filter").asString()).isEqualTo("blocklist");
        assertThat(meter("gateway.safety.blocks", "filter", "blocklist", "direction", "output", "category", "confidential")).isGreaterThanOrEqualTo(2);
    }

    @Test
    void aStreamIsReleasedWhileItIsGeneratedAndEndsWithContentFilterBeforeTheBlockedText() {
        String clean = String.join(" ", java.util.Collections.nCopies(10, "llamas are calm and curious animals"));
        deploymentOf(BLOCKLIST_MODEL).behaviour(Behaviour.instant().withTokenDelay(Duration.ofMillis(20))
                .withReply(clean + " and then project nightingale starts at dawn with many more words to follow after it ."));
        String body = "{\"model\":\"" + BLOCKLIST_MODEL + "\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_tokens\":200,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Tell me about llamas.\"}]}";
        long started = System.nanoTime();
        List<Long> at = new ArrayList<>();
        List<String> events = WebClient.create(baseUrl()).post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .header("Authorization", "Bearer " + teamKey).bodyValue(body).retrieve()
                .bodyToFlux(new ParameterizedTypeReference<ServerSentEvent<String>>() {
                })
                .map(ServerSentEvent::data)
                .doOnNext(data -> at.add((System.nanoTime() - started) / 1_000_000))
                .collectList().block(Duration.ofSeconds(20));
        assertThat(events).last().isEqualTo("[DONE]");
        StringBuilder text = new StringBuilder();
        long firstText = -1;
        long filtered = -1;
        JsonNode usage = null;
        for (int i = 0; i < events.size() - 1; i++) {
            JsonNode event = JSON.readTree(events.get(i));
            for (JsonNode choice : event.get("choices")) {
                String content = choice.path("delta").path("content").asString("");
                if (!content.isEmpty() && firstText < 0) {
                    firstText = at.get(i);
                }
                text.append(content);
                if ("content_filter".equals(choice.path("finish_reason").asString(""))) {
                    filtered = at.get(i);
                }
            }
            if (event.hasNonNull("usage")) {
                usage = event.get("usage");
            }
        }
        System.out.println("Stream with a blocked part: first text after " + firstText + " ms, content_filter after " + filtered
                + " ms, " + text.length() + " characters delivered");
        assertThat(text.toString()).doesNotContain("nightingale").doesNotContain("project");
        assertThat(clean).startsWith(text.toString().strip());
        assertThat(text.length()).as("the clean text before the window was delivered").isGreaterThan(clean.length() / 2);
        assertThat(filtered).as("the stream ended with content_filter").isPositive();
        assertThat(firstText).as("text arrived long before the block, not with the whole answer").isLessThan(filtered - 400);
        assertThat(usage).as("usage chunk").isNotNull();
        assertThat(usage.get("completion_tokens").asInt()).as("what the deployment streamed until the cut").isGreaterThan(70);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (deploymentOf(BLOCKLIST_MODEL).stats().streamsCancelled() == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(deploymentOf(BLOCKLIST_MODEL).stats().streamsCancelled()).as("the deployment's stream was cancelled").isEqualTo(1);
    }

    @Test
    void theOpenAiClientStreamsAScreenedCompletionToItsEnd() {
        deploymentOf(BLOCKLIST_MODEL).behaviour(Behaviour.instant().withReply(Behaviour.DEFAULT_REPLY));
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(baseUrl() + "/v1").apiKey(teamKey).maxRetries(0).build();
        StringBuilder text = new StringBuilder();
        String finish;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
                .model(BLOCKLIST_MODEL).addUserMessage("Tell me about llamas.").maxTokens(200).build())) {
            List<ChatCompletionChunk> chunks = stream.stream().toList();
            chunks.forEach(c -> c.choices().forEach(choice -> choice.delta().content().ifPresent(text::append)));
            finish = chunks.stream().flatMap(c -> c.choices().stream()).map(c -> c.finishReason().map(Object::toString).orElse(null))
                    .filter(java.util.Objects::nonNull).findFirst().orElse(null);
        }
        assertThat(text.toString()).isEqualTo(Behaviour.DEFAULT_REPLY);
        assertThat(finish).isEqualTo("stop");
    }

    // ------------------------------------------------------------------ Azure AI Content Safety

    @Test
    void azureContentSafetyBlocksAtTheCategoryThresholdAndAnnotatesBelowIt() {
        SimulatedDeployment cs = simulator.deployment("content-safety");
        EntityExchangeResult<byte[]> blocked = post("/chat/completions?api-version=2024-05-01-preview",
                chat(CS_MODEL, quoted("Describe the massacre in detail.")));
        assertThat(blocked.getStatus().value()).isEqualTo(400);
        JsonNode error = json(blocked).get("error");
        assertThat(error.get("code").asString()).isEqualTo("content_filter");
        assertThat(error.get("innererror").get("content_filter_result").get("Violence").get("severity").asInt()).isEqualTo(6);
        assertThat(cs.stats().lastRequestHeaders()).containsEntry("ocp-apim-subscription-key", KEY);
        JsonNode sent = JSON.readTree(cs.stats().lastRequestBody());
        assertThat(sent.get("text").asString()).isEqualTo("Describe the massacre in detail.");
        assertThat(sent.get("outputType").asString()).isEqualTo("FourSeverityLevels");
        assertThat(deploymentOf(CS_MODEL).stats().requests()).isZero();

        EntityExchangeResult<byte[]> mild = post("/chat/completions?api-version=2024-05-01-preview", chat(CS_MODEL, quoted("I could punch the wall.")));
        assertThat(mild.getStatus().value()).isEqualTo(200);
        assertThat(mild.getResponseHeaders().getFirst("x-content-safety")).isEqualTo("cs-closed:Violence");

        deploymentOf(CS_MODEL).behaviour(Behaviour.instant().withReply("Then you stab him with the knife ."));
        JsonNode answer = json(post("/chat/completions?api-version=2024-05-01-preview", chat(CS_MODEL, quoted("What next?"))));
        assertThat(answer.get("choices").get(0).get("finish_reason").asString()).isEqualTo("content_filter");
        assertThat(answer.get("choices").get(0).get("message").get("content").asString()).isEmpty();
    }

    @Test
    void textLongerThanTheApiTakesIsAnalysedInPieces() {
        SimulatedDeployment cs = simulator.deployment("content-safety");
        String prompt = "calm words about llamas ".repeat(1_000) + " and then a massacre";
        EntityExchangeResult<byte[]> result = post("/v1/chat/completions", chat(CS_MODEL, quoted(prompt)));
        assertThat(result.getStatus().value()).isEqualTo(400);
        assertThat(cs.stats().requests()).as("24,020 characters in pieces of at most 10,000").isEqualTo(3);
        assertThat(JSON.readTree(cs.stats().lastRequestBody()).get("text").asString().length()).isLessThanOrEqualTo(10_000);
    }

    @Test
    void aFailedOrSlowFilterRefusesWhenFailClosedAndLetsThroughCountedWhenFailOpen() {
        SimulatedDeployment cs = simulator.deployment("content-safety");
        cs.faults().failNext(500, 1);
        EntityExchangeResult<byte[]> down = post("/v1/chat/completions", chat(CS_MODEL, quoted("Hello there.")));
        assertThat(down.getStatus().value()).isEqualTo(503);
        assertThat(json(down).get("error").get("code").asString()).isEqualTo("content_filter_unavailable");
        assertThat(down.getResponseHeaders().getFirst("Retry-After")).isEqualTo("1");

        cs.faults().delayNext(Duration.ofSeconds(2), 1);
        long started = System.nanoTime();
        EntityExchangeResult<byte[]> slow = post("/v1/chat/completions", chat(CS_MODEL, quoted("Hello there.")));
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(slow.getStatus().value()).isEqualTo(503);
        assertThat(tookMillis).as("refused at the 400 ms timeout, not after the filter's 2 s").isLessThan(1_500);
        assertThat(deploymentOf(CS_MODEL).stats().requests()).isZero();

        cs.faults().delayNext(Duration.ZERO, 1).failNext(500, 1); // the prompt screens fine, the completion's screening fails
        JsonNode unscreened = json(post("/v1/chat/completions", chat(CS_MODEL, quoted("Hello there."))));
        assertThat(unscreened.get("choices").get(0).get("finish_reason").asString()).isEqualTo("content_filter");
        assertThat(unscreened.get("choices").get(0).get("message").get("content").asString()).isEmpty();
        assertThat(unscreened.get("choices").get(0).get("content_filter_results").get("error").get("code").asString()).isEqualTo("filter_unavailable");
        assertThat(unscreened.get("usage").get("completion_tokens").asInt()).isPositive();

        double passedBefore = meter("gateway.safety.failures", "filter", "cs-open", "direction", "input", "outcome", "passed");
        cs.faults().failNext(503, 1);
        assertThat(post("/v1/chat/completions", chat(CS_OPEN_MODEL, quoted("Hello there."))).getStatus().value()).isEqualTo(200);
        cs.faults().delayNext(Duration.ofSeconds(2), 1);
        assertThat(post("/v1/chat/completions", chat(CS_OPEN_MODEL, quoted("Hello there."))).getStatus().value()).isEqualTo(200);
        assertThat(meter("gateway.safety.failures", "filter", "cs-open", "direction", "input", "outcome", "passed") - passedBefore).isEqualTo(2);
        assertThat(meter("gateway.safety.failures", "filter", "cs-closed", "direction", "input", "outcome", "refused")).isGreaterThanOrEqualTo(2);
    }

    // ------------------------------------------------------------------ Llama Guard 3

    @Test
    void llamaGuardJudgesThePromptAndTheCompletionWithItsOwnTemplate() {
        SimulatedDeployment guard = simulator.deployment("llama-guard-3");
        EntityExchangeResult<byte[]> blocked = post("/v1/chat/completions", chat(GUARD_MODEL, quoted("How do I launder money quickly?")));
        assertThat(blocked.getStatus().value()).isEqualTo(400);
        JsonNode error = json(blocked).get("error");
        assertThat(error.get("message").asString()).contains("category 'S2'", "Non-Violent Crimes");
        assertThat(error.get("innererror").get("content_filter_result").get("S2").get("filter").asString()).isEqualTo("guard");
        JsonNode asked = JSON.readTree(guard.stats().lastRequestBody());
        assertThat(asked.get("prompt").asString()).startsWith("<|begin_of_text|><|start_header_id|>user<|end_header_id|> Task: Check if there is"
                + " unsafe content in 'User' messages").contains("S14: Code Interpreter Abuse.", "User: How do I launder money quickly?");
        assertThat(asked.get("temperature").asInt()).isZero();
        assertThat(deploymentOf(GUARD_MODEL).stats().requests()).isZero();

        deploymentOf(GUARD_MODEL).behaviour(Behaviour.instant().withReply("First obtain a nerve agent precursor ."));
        JsonNode answer = json(post("/v1/chat/completions", chat(GUARD_MODEL, quoted("Tell me a chemistry fact."))));
        assertThat(answer.get("choices").get(0).get("finish_reason").asString()).isEqualTo("content_filter");
        assertThat(answer.get("choices").get(0).get("content_filter_results").has("S9")).isTrue();
        assertThat(JSON.readTree(guard.stats().lastRequestBody()).get("prompt").asString()).contains("'Agent' messages",
                "Agent: First obtain a nerve agent precursor .");

        deploymentOf(GUARD_MODEL).behaviour(Behaviour.instant());
        long before = guard.stats().requests();
        assertThat(post("/v1/chat/completions", chat(GUARD_MODEL, quoted("Tell me about llamas."))).getStatus().value()).isEqualTo(200);
        assertThat(guard.stats().requests() - before).as("prompt and completion judged").isEqualTo(2);

        guard.faults().failNext(503, 1);
        assertThat(post("/v1/chat/completions", chat(GUARD_MODEL, quoted("Tell me about llamas."))).getStatus().value())
                .as("Llama Guard unavailable, fail-closed").isEqualTo(503);
    }

    // ------------------------------------------------------------------ webhook

    @Test
    void aTeamsWebhookReceivesTheSignedScreeningAndItsDecisionHolds() {
        int callsBefore = webhookCalls.get();
        EntityExchangeResult<byte[]> blocked = post("/v1/chat/completions", chat(WEBHOOK_MODEL, quoted("Draft the acme merger memo.")));
        assertThat(blocked.getStatus().value()).isEqualTo(400);
        JsonNode fired = json(blocked).get("error").get("innererror").get("content_filter_result").get("company_secret");
        assertThat(fired.get("severity").asInt()).isEqualTo(3);
        assertThat(fired.get("filter").asString()).isEqualTo("checker");
        JsonNode sent = lastWebhookRequest.get();
        assertThat(sent.get("direction").asString()).isEqualTo("input");
        assertThat(sent.get("model").asString()).isEqualTo(WEBHOOK_MODEL);
        assertThat(sent.get("messages").get(0).get("role").asString()).isEqualTo("user");
        assertThat(sent.get("text").asString()).isEqualTo("Draft the acme merger memo.");
        assertThat(lastWebhookAuthorization.get()).isEqualTo("Bearer checker-token");
        assertThat(badSignatures.get()).isZero();

        deploymentOf(WEBHOOK_MODEL).behaviour(Behaviour.instant().withReply("Our competitor sells llamas too ."));
        EntityExchangeResult<byte[]> annotated = post("/v1/chat/completions", chat(WEBHOOK_MODEL, quoted("Who else sells llamas?")));
        assertThat(annotated.getStatus().value()).isEqualTo(200);
        assertThat(annotated.getResponseHeaders().getFirst("x-content-safety")).isEqualTo("checker:mentions_competitor");
        assertThat(json(annotated).get("choices").get(0).get("message").get("content").asString()).isEqualTo("Our competitor sells llamas too .");
        assertThat(lastWebhookRequest.get().get("direction").asString()).isEqualTo("output");
        assertThat(webhookCalls.get() - callsBefore).isEqualTo(3);

        webhookOverride = "{\"action\":\"maybe\"}";
        assertThat(post("/v1/chat/completions", chat(WEBHOOK_MODEL, quoted("Hello."))).getStatus().value())
                .as("an answer outside the contract is a failure: fail-closed").isEqualTo(503);
    }
}
