package com.llamagateway.gateway.e2e;

import com.llamagateway.gateway.resilience.DeploymentBreakers;
import com.llamagateway.gateway.routing.DeploymentCatalog;
import com.llamagateway.gateway.support.ManualClock;
import com.llamagateway.gateway.support.Replicas;
import com.llamagateway.gateway.support.TestTeams;
import com.llamagateway.gateway.team.TeamService;
import com.llamagateway.simulator.LlamaSimulator;
import com.llamagateway.simulator.SimulatedDeployment;
import com.openai.client.OpenAIClient;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.MeterRegistry;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A model on two deployments, east before west, through the running gateway with the official OpenAI client: a sick
 * east does not fail requests that west can serve; what is the request's fault is not retried; failed attempts are
 * refunded and the request is settled once, on the deployment that served it.
 */
class FailoverEndToEndTest {

    private static final String KEY = "failover-deployment-key";
    private static final String ADMIN_TOKEN = "failover-admin-token-0123456789abcdef";
    private static final String POOL_MODEL = "pool-model";
    private static final String UNREACHABLE_MODEL = "unreachable-model";
    private static final String SOLO_MODEL = "solo-model";
    private static final String SLOW_MODEL = "slow-model";
    private static final ManualClock quotaClock = new ManualClock();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static LlamaSimulator simulator;
    private static ConfigurableApplicationContext gateway;
    private static String baseUrl;
    private static OpenAIClient client;
    private static String teamKey;

    @BeforeAll
    static void start() throws Exception {
        LlamaSimulator.Builder builder = LlamaSimulator.builder();
        for (String name : List.of("east", "west", "backup", "solo", "slow")) {
            builder.deployment(SimulatedDeployment.serverless(name, "backend-" + name, KEY));
        }
        simulator = builder.start(0);
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Map<String, String> p = new HashMap<>();
        p.put("server.port", "0");
        p.put("spring.r2dbc.url", "r2dbc:h2:mem:///failover-e2e?options=DB_CLOSE_DELAY=-1");
        p.put("spring.flyway.url", "jdbc:h2:mem:failover-e2e;DB_CLOSE_DELAY=-1");
        p.put("gateway.admin.token", ADMIN_TOKEN);
        p.put("gateway.data-dir", "target/test-data");
        p.put("gateway.simulator.enabled", "false");
        p.put("gateway.resilience.breaker.ejection", "1s");
        p.put("gateway.deployments.east.first-byte-timeout", "1s");
        p.put("gateway.deployments.east.max-concurrent", "2");
        deployment(p, "east", simulator.baseUrl("east"), POOL_MODEL);
        deployment(p, "west", simulator.baseUrl("west"), POOL_MODEL);
        deployment(p, "nowhere", "http://127.0.0.1:" + closedPort, UNREACHABLE_MODEL);
        deployment(p, "backup", simulator.baseUrl("backup"), UNREACHABLE_MODEL);
        deployment(p, "solo", simulator.baseUrl("solo"), SOLO_MODEL);
        deployment(p, "slow", simulator.baseUrl("slow"), SLOW_MODEL);
        p.put("gateway.deployments.slow.stream-idle-timeout", "500ms");
        // the buckets' clock held still: what a bucket holds changes only by what requests take and give back
        gateway = Replicas.start(p, context -> context.getBeanFactory().registerSingleton("quotaClock", quotaClock));
        baseUrl = "http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port");
        teamKey = TestTeams.newKey(gateway.getBean(TeamService.class));
        client = OpenAIOkHttpClient.builder().baseUrl(baseUrl + "/v1").apiKey(teamKey).maxRetries(0).build();
    }

    private static void deployment(Map<String, String> p, String name, String url, String model) {
        p.put("gateway.deployments." + name + ".kind", "serverless");
        p.put("gateway.deployments." + name + ".url", url);
        p.put("gateway.deployments." + name + ".api-key", KEY);
        p.put("gateway.deployments." + name + ".model", model);
        p.put("gateway.deployments." + name + ".dialect", "v1");
    }

    @AfterAll
    static void stop() {
        gateway.close();
        simulator.close();
    }

    @AfterEach
    void reset() {
        simulator.reset();
        DeploymentBreakers breakers = gateway.getBean(DeploymentBreakers.class);
        gateway.getBean(DeploymentCatalog.class).deployments().forEach(d -> breakers.of(d).reset()); // each test from healthy
        quotaClock.advance(Duration.ofMinutes(10)); // every cool-down over, every bucket full
    }

    private static ChatCompletionCreateParams chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Tell me about llamas.").maxTokens(3).build();
    }

    private static long calls(String deployment) {
        return simulator.deployment(deployment).stats().requests();
    }

    @Test
    void aDeploymentAnswering503IsFailedOverAndTheClientNeverSeesIt() {
        simulator.deployment("east").faults().failNext(503, 3);
        for (int i = 0; i < 3; i++) {
            HttpResponseFor<ChatCompletion> response = client.chat().completions().withRawResponse().create(chat(POOL_MODEL));
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().values("x-gateway-deployment")).containsExactly("west");
            assertThat(response.parse().choices()).hasSize(1);
        }
        assertThat(calls("east")).as("east, called once per request").isEqualTo(3);
        assertThat(calls("west")).isEqualTo(3);
        HttpResponseFor<ChatCompletion> healthy = client.chat().completions().withRawResponse().create(chat(POOL_MODEL));
        assertThat(healthy.headers().values("x-gateway-deployment")).as("east again once it answers").containsExactly("east");
    }

    @Test
    void aDeploymentNobodyListensOnIsFailedOver() {
        HttpResponseFor<ChatCompletion> response = client.chat().completions().withRawResponse().create(chat(UNREACHABLE_MODEL));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().values("x-gateway-deployment")).containsExactly("backup");
        assertThat(calls("backup")).isEqualTo(1);
    }

    @Test
    void fiveHundredsAndRateLimitsAreFailedOverToo() {
        for (int status : new int[]{500, 502, 504, 429}) {
            simulator.deployment("east").faults().failNext(status, 1);
            HttpResponseFor<ChatCompletion> response = client.chat().completions().withRawResponse().create(chat(POOL_MODEL));
            assertThat(response.statusCode()).as("east answered %d", status).isEqualTo(200);
            assertThat(response.headers().values("x-gateway-deployment")).containsExactly("west");
        }
        assertThat(calls("west")).isEqualTo(4);
    }

    @Test
    void aDeploymentThatNeverAnswersIsFailedOverOnceItsReadTimeoutIsUp() {
        simulator.deployment("east").faults().hangNext(1);
        HttpResponseFor<ChatCompletion> response = client.chat().completions().withRawResponse().create(chat(POOL_MODEL));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().values("x-gateway-deployment")).containsExactly("west");
        assertThat(calls("west")).isEqualTo(1);
    }

    @Test
    void whatIsTheRequestsFaultIsNotRetried() {
        simulator.deployment("east").faults().failNext(400, 1);
        assertThatThrownBy(() -> client.chat().completions().create(chat(POOL_MODEL))).isInstanceOf(BadRequestException.class);
        simulator.deployment("east").faults().failNext(422, 1);
        assertThatThrownBy(() -> client.chat().completions().create(chat(POOL_MODEL))).hasMessageContaining("422");
        assertThat(calls("east")).isEqualTo(2);
        assertThat(calls("west")).as("never tried for the request's own fault").isZero();
    }

    @Test
    void whenEveryMemberFailsTheClientGetsTheLastFailureAfterOneAttemptEach() {
        simulator.deployment("east").faults().failNext(503, 1);
        simulator.deployment("west").faults().failNext(500, 1);
        assertThatThrownBy(() -> client.chat().completions().create(chat(POOL_MODEL)))
                .isInstanceOfSatisfying(InternalServerException.class, e -> {
                    assertThat(e.statusCode()).as("west's 500, as the gateway maps it").isEqualTo(502);
                    assertThat(e.getMessage()).as("west's failure, not east's 503").contains("failed with status 500");
                });
        assertThat(calls("east")).isEqualTo(1);
        assertThat(calls("west")).isEqualTo(1);
    }

    @Test
    void aStreamWhoseDeploymentFailsBeforeAnsweringIsServedByTheNext() {
        simulator.deployment("east").faults().failNext(503, 1);
        StringBuilder text = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat(POOL_MODEL))) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append)));
        }
        assertThat(text.toString()).isNotBlank();
        assertThat(calls("east")).isEqualTo(1);
        assertThat(calls("west")).isEqualTo(1);
    }

    @Test
    void aFailedAttemptIsRefundedAndTheRequestSettledOnceWhereItWasServed() throws Exception {
        long eastBefore = requestsLeft("east");
        long westBefore = requestsLeft("west");
        simulator.deployment("east").faults().failNext(503, 1);
        client.chat().completions().create(chat(POOL_MODEL));
        assertThat(requestsLeft("east")).as("east's request refunded").isEqualTo(eastBefore);
        assertThat(requestsLeft("west")).as("west charged one request").isEqualTo(westBefore - 1);
    }

    @Test
    void aDeploymentFailingFiveTimesInARowIsEjectedUntilItsProbeSucceeds() throws Exception {
        simulator.deployment("east").faults().failNext(503, 5);
        for (int i = 0; i < 5; i++) {
            assertThat(client.chat().completions().withRawResponse().create(chat(POOL_MODEL)).headers().values("x-gateway-deployment"))
                    .containsExactly("west");
        }
        assertThat(calls("east")).isEqualTo(5);
        CircuitBreaker east = gateway.getBean(DeploymentBreakers.class).of(gateway.getBean(DeploymentCatalog.class).deployment("east"));
        assertThat(east.getState()).isEqualTo(CircuitBreaker.State.OPEN);
        MeterRegistry meters = gateway.getBean(MeterRegistry.class);
        assertThat(meters.get("gateway.deployment.breaker.state").tag("deployment", "east").gauge().value()).isEqualTo(2.0);
        assertThat(meters.get("gateway.deployment.ejections").tag("deployment", "east").counter().count()).isGreaterThanOrEqualTo(1.0);
        assertThat(meters.get("gateway.attempts.failed").tags("deployment", "east", "status", "503", "next", "failover").counter().count())
                .isGreaterThanOrEqualTo(5.0);
        for (int i = 0; i < 5; i++) {
            assertThat(client.chat().completions().withRawResponse().create(chat(POOL_MODEL)).headers().values("x-gateway-deployment"))
                    .containsExactly("west");
        }
        assertThat(calls("east")).as("an ejected deployment gets no request").isEqualTo(5);

        // the ejection (1 s here) ends by itself; then one request probes east, which is well again
        long waitUntil = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (east.getState() != CircuitBreaker.State.HALF_OPEN && System.nanoTime() < waitUntil) {
            Thread.sleep(50);
        }
        assertThat(east.getState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        assertThat(client.chat().completions().withRawResponse().create(chat(POOL_MODEL)).headers().values("x-gateway-deployment"))
                .containsExactly("east");
        assertThat(east.getState()).as("back in rotation").isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(meters.get("gateway.deployment.breaker.state").tag("deployment", "east").gauge().value()).isZero();
        assertThat(calls("east")).isEqualTo(6);
    }

    @Test
    void whenEveryMemberIsEjectedTheRequestIsStillTried() {
        DeploymentBreakers breakers = gateway.getBean(DeploymentBreakers.class);
        DeploymentCatalog catalog = gateway.getBean(DeploymentCatalog.class);
        breakers.of(catalog.deployment("east")).transitionToOpenState();
        breakers.of(catalog.deployment("west")).transitionToOpenState();
        assertThat(client.chat().completions().create(chat(POOL_MODEL)).choices()).hasSize(1);
        assertThat(calls("east") + calls("west")).isEqualTo(1);
    }

    @Test
    void aDeploymentThatAsksForThirtySecondsGetsNoRequestForThirtySeconds() {
        simulator.deployment("east").faults().failNext(429, Duration.ofSeconds(30), 1);
        for (int i = 0; i < 5; i++) {
            HttpResponseFor<ChatCompletion> response = client.chat().completions().withRawResponse().create(chat(POOL_MODEL));
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().values("x-gateway-deployment")).containsExactly("west");
            quotaClock.advance(Duration.ofMillis(7_499)); // 4 × 7.499 s = 29.996 s after east asked
        }
        assertThat(calls("east")).as("asked once, then left alone").isEqualTo(1);
        quotaClock.advance(Duration.ofMillis(5));
        assertThat(client.chat().completions().withRawResponse().create(chat(POOL_MODEL)).headers().values("x-gateway-deployment"))
                .as("30 s later").containsExactly("east");
        MeterRegistry meters = gateway.getBean(MeterRegistry.class);
        assertThat(meters.get("gateway.deployment.cool-downs").tag("deployment", "east").counter().count()).isGreaterThanOrEqualTo(1.0);
    }

    @Test
    void theOneDeploymentOfAPoolIsTriedOnceMoreAfterTheShortWaitItAskedFor() {
        simulator.deployment("solo").faults().failNext(429, Duration.ofMillis(400), 1);
        long started = System.nanoTime();
        HttpResponseFor<ChatCompletion> response = client.chat().completions().withRawResponse().create(chat(SOLO_MODEL));
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(calls("solo")).isEqualTo(2);
        assertThat(tookMillis).as("waited the 400 ms it asked for").isGreaterThanOrEqualTo(400);
        quotaClock.advance(Duration.ofMillis(400)); // the buckets' clock stands still unless told: the cool-down is over

        // a wait longer than retry-within (10 s) is the client's to take: told at once, the deployment called once
        simulator.deployment("solo").faults().failNext(429, Duration.ofSeconds(20), 1);
        assertThatThrownBy(() -> client.chat().completions().create(chat(SOLO_MODEL)))
                .isInstanceOfSatisfying(com.openai.errors.RateLimitException.class, e -> {
                    assertThat(e.headers().values("retry-after-ms")).containsExactly("20000");
                    assertThat(e.headers().values("Retry-After")).containsExactly("20");
                });
        assertThat(calls("solo")).isEqualTo(3);
        // and while it cools down the gateway answers for it, in the same terms, without calling it
        quotaClock.advance(Duration.ofSeconds(5));
        assertThatThrownBy(() -> client.chat().completions().create(chat(SOLO_MODEL)))
                .isInstanceOfSatisfying(com.openai.errors.RateLimitException.class, e -> {
                    assertThat(e.headers().values("retry-after-ms")).containsExactly("15000");
                    assertThat(e.getMessage()).contains("asked the gateway to wait");
                });
        assertThat(calls("solo")).isEqualTo(3);
    }

    @Test
    void aStreamDroppedBeforeItsFirstEventIsServedWholeByTheNext() {
        simulator.deployment("east").faults().dropNextStreamAfter(0, 1); // 200 and event-stream headers, then the connection drops
        StringBuilder text = new StringBuilder();
        List<String> finishReasons = new java.util.ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat(POOL_MODEL))) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(c -> {
                c.delta().content().ifPresent(text::append);
                c.finishReason().ifPresent(reason -> finishReasons.add(reason.asString()));
            }));
        }
        assertThat(text.toString()).isEqualTo("The llama is"); // max_tokens 3: the reply's first three tokens, whole
        assertThat(finishReasons).containsExactly("length");
        assertThat(calls("east")).isEqualTo(1);
        assertThat(calls("west")).isEqualTo(1);
    }

    @Test
    void aStreamDroppedAfterItsThirdEventEndsWithAnErrorEventAndIsNotSentTwice() throws Exception {
        simulator.deployment("east").faults().dropNextStreamAfter(3, 1);
        String body = "{\"model\":\"" + POOL_MODEL + "\",\"stream\":true,\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(baseUrl + "/v1/chat/completions")).header("Authorization", "Bearer " + teamKey)
                .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        List<String> events = java.util.Arrays.stream(response.body().split("\n\n")).map(String::trim).filter(e -> !e.isEmpty()).toList();
        assertThat(events).hasSize(4);
        assertThat(events.subList(0, 3)).allSatisfy(e -> assertThat(e).startsWith("data: {").contains("\"choices\""));
        JsonNode error = JSON.readTree(events.get(3).substring("data: ".length()));
        assertThat(error.path("error").path("code").asString()).isEqualTo("upstream_error");
        assertThat(response.body()).doesNotContain("[DONE]");
        assertThat(calls("east")).isEqualTo(1);
        assertThat(calls("west")).as("nothing sent twice").isZero();
    }

    @Test
    void aStreamWhoseDeploymentNeverAnswersIsFailedOverOnceItsFirstByteTimeoutIsUp() {
        simulator.deployment("east").faults().hangNext(1);
        long started = System.nanoTime();
        StringBuilder text = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat(POOL_MODEL))) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append)));
        }
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(text.toString()).isEqualTo("The llama is");
        assertThat(tookMillis).as("east's first-byte timeout is 1 s").isGreaterThanOrEqualTo(1_000);
        assertThat(calls("west")).isEqualTo(1);
    }

    @Test
    void aStreamSilentPastItsIdleTimeoutAfterItsFirstEventEndsWithATimeoutEvent() {
        simulator.deployment("slow").behaviour(com.llamagateway.simulator.Behaviour.instant().withTokenDelay(Duration.ofSeconds(3)));
        List<String> contents = new java.util.ArrayList<>();
        assertThatThrownBy(() -> {
            try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat(SLOW_MODEL))) {
                stream.stream().forEach(chunk -> chunk.choices().forEach(c -> contents.add(c.delta().content().orElse(""))));
            }
        }).hasMessageContaining("did not answer in time");
        assertThat(contents).as("the first event arrived; the next did not within 500 ms").containsExactly("");
        assertThat(calls("slow")).isEqualTo(1);
    }

    @Test
    void aDeploymentWithAsManyStreamsInFlightAsItsBulkheadAllowsIsPassedOverUntilTheyEnd() throws Exception {
        simulator.deployment("east").behaviour(com.llamagateway.simulator.Behaviour.instant().withTokenDelay(Duration.ofMillis(400)));
        MeterRegistry meters = gateway.getBean(MeterRegistry.class);
        java.util.function.DoubleSupplier eastInFlight = () -> meters.get("gateway.deployment.in-flight").tag("deployment", "east").gauge().value();
        String body = "{\"model\":\"" + POOL_MODEL + "\",\"stream\":true,\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        List<java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>>> streams = new java.util.ArrayList<>();
        for (int i = 0; i < 2; i++) {
            streams.add(http.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create(baseUrl + "/v1/chat/completions"))
                    .header("Authorization", "Bearer " + teamKey).header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), java.net.http.HttpResponse.BodyHandlers.ofString()));
        }
        long waitUntil = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (eastInFlight.getAsDouble() < 2 && System.nanoTime() < waitUntil) {
            Thread.sleep(10);
        }
        assertThat(eastInFlight.getAsDouble()).as("two streams held on east").isEqualTo(2.0);

        HttpResponseFor<ChatCompletion> third = client.chat().completions().withRawResponse().create(chat(POOL_MODEL));
        assertThat(third.headers().values("x-gateway-deployment")).as("east is full: west").containsExactly("west");
        for (var stream : streams) {
            java.net.http.HttpResponse<String> done = stream.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(done.headers().firstValue("x-gateway-deployment")).hasValue("east");
            assertThat(done.body()).contains("[DONE]");
        }
        assertThat(eastInFlight.getAsDouble()).as("released when the streams ended").isZero();
        assertThat(calls("east")).isEqualTo(2);
        simulator.deployment("east").behaviour(com.llamagateway.simulator.Behaviour.instant()); // (slow, a non-streamed answer would take past its 1 s first byte)
        assertThat(client.chat().completions().withRawResponse().create(chat(POOL_MODEL)).headers().values("x-gateway-deployment"))
                .as("east again").containsExactly("east");
    }

    @Test
    void healthShowsEachDeploymentsBreakerAndStaysUpWhenOneIsEjected() {
        gateway.getBean(DeploymentBreakers.class).of(gateway.getBean(DeploymentCatalog.class).deployment("east")).transitionToOpenState();
        WebTestClient http = WebTestClient.bindToServer().baseUrl(baseUrl).responseTimeout(Duration.ofSeconds(20)).build();
        http.get().uri("/actuator/health/resilience").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.status").isEqualTo("UP")
                .jsonPath("$.components.deployments.details.east.breaker").isEqualTo("open")
                .jsonPath("$.components.deployments.details.east.maxConcurrent").isEqualTo(2)
                .jsonPath("$.components.deployments.details.west.breaker").isEqualTo("closed")
                .jsonPath("$.components.deployments.details.west.inFlight").isEqualTo(0)
                .jsonPath("$.components.deployments.details.ejected").isEqualTo(1);
        http.get().uri("/actuator/health").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.status").isEqualTo("UP")
                .jsonPath("$.components").doesNotExist(); // details only on the resilience group
    }

    @Test
    void theAzureClientIsFailedOverToo() {
        com.azure.core.http.HttpHeaders headers = new com.azure.core.http.HttpHeaders()
                .set(com.azure.core.http.HttpHeaderName.fromString("api-key"), teamKey);
        com.azure.ai.inference.ChatCompletionsClient azure = new com.azure.ai.inference.ChatCompletionsClientBuilder().endpoint(baseUrl)
                .httpClient(new com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder().build())
                .addPolicy(new com.azure.core.http.policy.AddHeadersPolicy(headers))
                .retryOptions(new com.azure.core.http.policy.RetryOptions(new com.azure.core.http.policy.FixedDelayOptions(0, Duration.ofMillis(1))))
                .buildClient();
        List<com.azure.ai.inference.models.ChatRequestMessage> messages = List.of(new com.azure.ai.inference.models.ChatRequestUserMessage("Tell me about llamas."));

        simulator.deployment("east").faults().failNext(503, 1);
        com.azure.ai.inference.models.ChatCompletions completions = azure.complete(
                new com.azure.ai.inference.models.ChatCompletionsOptions(messages).setModel(POOL_MODEL).setMaxTokens(3));
        assertThat(completions.getChoice().getMessage().getContent()).isEqualTo("The llama is");

        simulator.deployment("east").faults().dropNextStreamAfter(0, 1);
        StringBuilder streamed = new StringBuilder();
        azure.completeStream(new com.azure.ai.inference.models.ChatCompletionsOptions(messages).setModel(POOL_MODEL).setMaxTokens(3))
                .forEach(update -> update.getChoices().forEach(c -> {
                    if (c.getDelta() != null && c.getDelta().getContent() != null) {
                        streamed.append(c.getDelta().getContent());
                    }
                }));
        assertThat(streamed.toString()).isEqualTo("The llama is");
        assertThat(calls("east")).isEqualTo(2);
        assertThat(calls("west")).isEqualTo(2);
    }

    @Test
    void theResilienceMetersAreScrapedAtActuatorPrometheus() {
        simulator.deployment("east").faults().failNext(503, 1);
        client.chat().completions().create(chat(POOL_MODEL));
        byte[] body = WebTestClient.bindToServer().baseUrl(baseUrl).responseTimeout(Duration.ofSeconds(20)).build().get()
                .uri("/actuator/prometheus").exchange().expectStatus().isOk().expectBody().returnResult().getResponseBodyContent();
        String scrape = new String(body, StandardCharsets.UTF_8);
        assertThat(scrape).contains("gateway_deployment_breaker_state{deployment=\"east\"}")
                .contains("gateway_deployment_in_flight{deployment=\"west\"} 0.0")
                .containsPattern("gateway_attempts_failed_total\\{deployment=\"east\",next=\"failover\",status=\"503\"} [1-9]");
    }

    /** What is left of a deployment's requests per minute, from the admin API. */
    private static long requestsLeft(String deployment) {
        byte[] body = WebTestClient.bindToServer().baseUrl(baseUrl).responseTimeout(Duration.ofSeconds(20)).build().get()
                .uri("/admin/v1/deployments").header("Authorization", "Bearer " + ADMIN_TOKEN).exchange()
                .expectStatus().isOk().expectBody().returnResult().getResponseBodyContent();
        for (JsonNode node : JSON.readTree(new String(body, StandardCharsets.UTF_8)).get("deployments")) {
            if (node.get("name").asString().equals(deployment)) {
                return node.get("limits").get("remaining").get("requests").asLong();
            }
        }
        throw new AssertionError("no deployment " + deployment);
    }
}
