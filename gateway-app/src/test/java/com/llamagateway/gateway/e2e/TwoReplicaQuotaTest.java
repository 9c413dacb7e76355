package com.llamagateway.gateway.e2e;

import com.llamagateway.gateway.support.ManualClock;
import com.llamagateway.gateway.support.PostgresSchema;
import com.llamagateway.gateway.support.RedisProcess;
import com.llamagateway.gateway.support.Replicas;
import com.llamagateway.simulator.Behaviour;
import com.llamagateway.simulator.LlamaSimulator;
import com.llamagateway.simulator.SimulatedDeployment;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two gateway replicas sharing a real Redis (a server of this test's own, so it can be paused and killed) and
 * PostgreSQL, in front of simulated deployments. The buckets' clock is held still (the replicas pass it to the Redis
 * scripts), so that "one window" is exact and what a bucket holds can be compared to the last token, however slowly
 * the machine runs. The test that kills Redis runs last.
 */
@ExtendWith(PostgresSchema.Required.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoReplicaQuotaTest {

    private static final String ADMIN_TOKEN = "two-replica-quota-admin-token-0123";
    private static final String KEY = "simulated-deployment-key";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** 1,120 words of one token each: any max_tokens up to that is answered with exactly max_tokens tokens. */
    private static final String LONG_REPLY = (Behaviour.DEFAULT_REPLY + " ").repeat(20).trim();

    private static final ManualClock clock = new ManualClock();
    private static RedisProcess redis;
    private static PostgresSchema schema;
    private static LlamaSimulator simulator;
    private static ConfigurableApplicationContext replicaA;
    private static ConfigurableApplicationContext replicaB;
    private static WebClient a;
    private static WebClient b;

    /** deployment name → {tokens per minute, requests per minute}; each deployment serves a model of the same name. */
    private static final Map<String, long[]> DEPLOYMENTS = Map.of(
            "requests", new long[]{10_000_000, 1_000},
            "tokens", new long[]{400_000, 100_000},
            "tokens-streamed", new long[]{40_000, 100_000},
            "interplay", new long[]{10_000_000, 10},
            "change", new long[]{10_000_000, 100},
            "outage", new long[]{10_000_000, 1_000},
            "pause", new long[]{10_000_000, 100},
            "cancel", new long[]{1_000_000, 100_000});
    /** The model "cooling" on two deployments, east before west. */
    private static final List<String> COOLING_POOL = List.of("cooling-east", "cooling-west");

    @BeforeAll
    static void start() throws Exception {
        redis = RedisProcess.start();
        schema = PostgresSchema.create();
        LlamaSimulator.Builder builder = LlamaSimulator.builder();
        DEPLOYMENTS.keySet().forEach(name -> builder.deployment(SimulatedDeployment.serverless(name, name, KEY)));
        COOLING_POOL.forEach(name -> builder.deployment(SimulatedDeployment.serverless(name, name, KEY)));
        simulator = builder.start(0);
        simulator.deployments().forEach(d -> d.behaviour(Behaviour.instant().withReply(LONG_REPLY)));
        simulator.deployment("cancel").behaviour(Behaviour.instant().withReply(LONG_REPLY).withTokenDelay(Duration.ofMillis(20)));
        simulator.deployment("tokens-streamed").behaviour(Behaviour.instant().withReply(String.join(" ", java.util.Arrays.asList(LONG_REPLY.split(" ")).subList(0, 100))));
        // A never reloads the limits from the database: what it enforces of a change made on B comes from the store alone
        replicaA = replica("1h");
        replicaB = replica("1s");
        a = client(replicaA);
        b = client(replicaB);
    }

    private static ConfigurableApplicationContext replica(String limitsRefresh) {
        Map<String, String> properties = new LinkedHashMap<>(schema.properties());
        properties.put("gateway.quota.limits-refresh", limitsRefresh);
        properties.put("server.port", "0");
        properties.put("gateway.admin.token", ADMIN_TOKEN);
        properties.put("gateway.data-dir", "target/test-data");
        properties.put("gateway.quota.store", "redis");
        properties.put("gateway.quota.redis.url", redis.url());
        properties.put("gateway.quota.redis.replicas", "2");
        properties.put("gateway.quota.redis.retry-interval", "300ms");
        DEPLOYMENTS.forEach((name, limits) -> {
            String prefix = "gateway.deployments." + name + ".";
            properties.put(prefix + "url", simulator.baseUrl(name));
            properties.put(prefix + "api-key", KEY);
            properties.put(prefix + "model", name);
            properties.put(prefix + "limits.tokens-per-minute", Long.toString(limits[0]));
            properties.put(prefix + "limits.requests-per-minute", Long.toString(limits[1]));
        });
        COOLING_POOL.forEach(name -> {
            String prefix = "gateway.deployments." + name + ".";
            properties.put(prefix + "url", simulator.baseUrl(name));
            properties.put(prefix + "api-key", KEY);
            properties.put(prefix + "model", "cooling");
            properties.put(prefix + "priority", name.endsWith("east") ? "0" : "1");
        });
        return Replicas.start(properties, context -> context.getBeanFactory().registerSingleton("quotaClock", clock));
    }

    private static WebClient client(ConfigurableApplicationContext replica) {
        return WebClient.builder().baseUrl("http://127.0.0.1:" + replica.getEnvironment().getProperty("local.server.port")).build();
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable closeable : new AutoCloseable[]{replicaA, replicaB, simulator, schema, redis}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    record Outcome(int status, HttpHeaders headers, JsonNode body) {

        static Mono<Outcome> of(ClientResponse response) {
            return response.bodyToMono(String.class).defaultIfEmpty("{}")
                    .map(text -> new Outcome(response.statusCode().value(), response.headers().asHttpHeaders(), JSON.readTree(text)));
        }

        String code() {
            return body.path("error").path("code").asString("");
        }
    }

    private static Outcome send(WebClient replica, HttpMethod method, String path, String bearer, String body) {
        WebClient.RequestBodySpec request = replica.method(method).uri(path).header("Authorization", "Bearer " + bearer);
        WebClient.RequestHeadersSpec<?> spec = body == null ? request : request.contentType(MediaType.APPLICATION_JSON).bodyValue(body);
        return spec.exchangeToMono(Outcome::of).block(Duration.ofSeconds(30));
    }

    private static Outcome admin(WebClient replica, HttpMethod method, String path, String body) {
        return send(replica, method, path, ADMIN_TOKEN, body);
    }

    private static String teamKey(String name) {
        Outcome team = admin(a, HttpMethod.POST, "/admin/v1/teams", "{\"name\":\"" + name + "\"}");
        assertThat(team.status()).isEqualTo(201);
        String id = team.body().get("id").asString();
        return admin(a, HttpMethod.POST, "/admin/v1/teams/" + id + "/keys", "{}").body().get("key").asString() + " " + id;
    }

    private static String chat(String model, int maxTokens) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":" + maxTokens + "}";
    }

    /** {@code count} chat requests from {@code concurrency} clients, alternating between the replicas. */
    private static List<Outcome> burst(int count, int concurrency, String key, String body) {
        return Flux.range(0, count)
                .flatMap(i -> (i % 2 == 0 ? a : b).post().uri("/v1/chat/completions").header("Authorization", "Bearer " + key)
                        .contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                        .exchangeToMono(Outcome::of), concurrency)
                .collectList()
                .block(Duration.ofMinutes(2));
    }

    private static JsonNode deploymentLimits(WebClient replica, String name) {
        for (JsonNode d : admin(replica, HttpMethod.GET, "/admin/v1/deployments", null).body().get("deployments")) {
            if (d.get("name").asString().equals(name)) {
                return d.get("limits");
            }
        }
        throw new AssertionError("no deployment " + name);
    }

    private static JsonNode quota(WebClient replica, String teamId, String model) {
        for (JsonNode quota : admin(replica, HttpMethod.GET, "/admin/v1/teams/" + teamId + "/quotas", null).body().get("quotas")) {
            if (quota.get("model").asString().equals(model)) {
                return quota;
            }
        }
        throw new AssertionError("no quota for " + model);
    }

    /** Milliseconds until the condition holds, polled every 10 ms for at most 3 s; -1 if it never does. */
    private static long millisUntil(java.util.function.BooleanSupplier condition) {
        long started = System.nanoTime();
        while (System.nanoTime() - started < Duration.ofSeconds(3).toNanos()) {
            if (condition.getAsBoolean()) {
                return (System.nanoTime() - started) / 1_000_000;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
        return -1;
    }

    private static long count(List<Outcome> outcomes, int status) {
        return outcomes.stream().filter(o -> o.status() == status).count();
    }

    // ---------------------------------------------------------------- tests

    @Test
    void thirteenHundredRequestsOverTwoReplicasAdmitExactlyTheThousandOfTheWindow() {
        String key = teamKey("requests").split(" ")[0];
        List<Outcome> outcomes = burst(1_300, 20, key, chat("requests", 5));

        assertThat(count(outcomes, 200)).isEqualTo(1_000);
        assertThat(count(outcomes, 429)).isEqualTo(300);
        assertThat(simulator.deployment("requests").stats().requests()).as("requests the deployment saw").isEqualTo(1_000);
        for (Outcome refused : outcomes.stream().filter(o -> o.status() == 429).toList()) {
            assertThat(refused.code()).isEqualTo("deployment_capacity_exceeded");
            assertThat(refused.headers().getFirst("x-ratelimit-limit-requests")).isEqualTo("1000");
            assertThat(refused.headers().getFirst("x-ratelimit-remaining-requests")).isEqualTo("0");
            assertThat(refused.headers().getFirst("Retry-After")).isEqualTo("1");         // one request refills every 60 ms
            assertThat(refused.headers().getFirst("retry-after-ms")).isEqualTo("60");
        }
        Outcome admitted = outcomes.stream().filter(o -> o.status() == 200).findFirst().orElseThrow();
        assertThat(admitted.headers().getFirst("x-ratelimit-limit-requests")).isEqualTo("1000");
        assertThat(deploymentLimits(b, "requests").get("remaining").get("requests").asLong()).isZero();
    }

    @Test
    void tokensAdmittedInAWindowNeverExceedTheLimitAndSettlementLeavesExactlyTheLimitMinusUsage() {
        String key = teamKey("tokens").split(" ")[0];
        // "hi" is 11 prompt tokens with the chat template; the answer is exactly max_tokens long: 1,011 reserved and used
        List<Outcome> outcomes = burst(500, 20, key, chat("tokens", 1_000));

        long used = outcomes.stream().filter(o -> o.status() == 200).mapToLong(o -> o.body().get("usage").get("total_tokens").asLong()).sum();
        assertThat(count(outcomes, 200)).isEqualTo(400_000 / 1_011);
        assertThat(used).isEqualTo(395 * 1_011L).isLessThanOrEqualTo(400_000);
        assertThat(deploymentLimits(a, "tokens").get("remaining").get("tokens").asLong()).isEqualTo(400_000 - used);
        assertThat(outcomes.stream().filter(o -> o.status() == 429).map(Outcome::code).distinct().toList())
                .containsExactly("deployment_capacity_exceeded");
    }

    @Test
    void streamsReserveTheirCapAndGiveBackWhatTheyDidNotUse() {
        String key = teamKey("streams").split(" ")[0];
        // reserves 11 + 500, uses 11 + 100 (the whole reply): the difference goes back after each stream
        String body = "{\"model\":\"tokens-streamed\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":500}";
        List<long[]> results = Flux.range(0, 400)
                .flatMap(i -> (i % 2 == 0 ? a : b).post().uri("/v1/chat/completions").header("Authorization", "Bearer " + key)
                        .contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                        .exchangeToMono(response -> response.statusCode().value() != 200
                                ? response.releaseBody().thenReturn(new long[]{response.statusCode().value(), 0})
                                : response.bodyToFlux(String.class).filter(data -> data.contains("\"usage\"")).last("{}")
                                .map(data -> new long[]{200, JSON.readTree(data).path("usage").path("total_tokens").asLong()})), 20)
                .collectList().block(Duration.ofMinutes(2));

        long admitted = results.stream().filter(r -> r[0] == 200).count();
        long used = results.stream().mapToLong(r -> r[1]).sum();
        assertThat(results.stream().filter(r -> r[0] == 200).allMatch(r -> r[1] == 111)).isTrue();
        assertThat(results.stream().allMatch(r -> r[0] == 200 || r[0] == 429)).isTrue();
        assertThat(used).isLessThanOrEqualTo(40_000);
        // without the refunds only 40,000 / 511 = 78 would fit; with at most 20 in flight, at least (40,000 - 20 × 511) / 111
        assertThat(admitted).isBetween((40_000L - 20 * 511) / 111, 40_000L / 111);
        assertThat(deploymentLimits(b, "tokens-streamed").get("remaining").get("tokens").asLong()).isEqualTo(40_000 - used);
    }

    @Test
    void aClientThatLeavesMidStreamIsChargedForWhatWasStreamed() {
        String key = teamKey("cancel").split(" ")[0];
        String body = "{\"model\":\"cancel\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":500}";
        List<String> received = a.post().uri("/v1/chat/completions").header("Authorization", "Bearer " + key)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .retrieve().bodyToFlux(String.class).take(6).collectList().block(Duration.ofSeconds(20));
        assertThat(received).hasSize(6); // the role event, then 5 tokens: then the client leaves

        assertThat(millisUntil(() -> simulator.deployment("cancel").stats().streamsCancelled() == 1)).isNotNegative();
        long streamed = simulator.deployment("cancel").stats().tokensStreamed();
        long[] charged = {0};
        millisUntil(() -> (charged[0] = 1_000_000 - deploymentLimits(b, "cancel").get("remaining").get("tokens").asLong()) < 511);
        System.out.println("Left after 5 tokens: the deployment had streamed " + streamed + " tokens; charged " + charged[0]);
        // 11 prompt tokens, plus what the gateway had received when the client left (at least what the client got)
        assertThat(charged[0]).isBetween(11L + 5, 11L + streamed).isLessThan(11L + 500);
    }

    @Test
    void aFirstAllowanceSetOnOneReplicaIsEnforcedByTheOtherOnItsVeryNextRequest() {
        String[] limited = teamKey("limited").split(" ");
        String other = teamKey("unlimited").split(" ")[0];
        Outcome set = admin(b, HttpMethod.PUT, "/admin/v1/teams/" + limited[1] + "/quotas/interplay", "{\"requestsPerMinute\":4}");
        assertThat(set.status()).isEqualTo(200);
        // replica A does not know of the allowance (it never reloads the limits here): the store holds it, A's next request reads it
        assertThat(quota(a, limited[1], "interplay").get("source").asString()).as("A's own view").isEqualTo("config");

        List<Outcome> limitedOutcomes = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            limitedOutcomes.add(send(a, HttpMethod.POST, "/v1/chat/completions", limited[0], chat("interplay", 5)));
        }
        assertThat(limitedOutcomes.stream().map(Outcome::status).toList()).containsExactly(200, 200, 200, 200, 429, 429);
        assertThat(limitedOutcomes.stream().filter(o -> o.status() == 429).map(Outcome::code).toList())
                .containsExactly("team_quota_exceeded", "team_quota_exceeded");
        Outcome refused = limitedOutcomes.get(4);
        assertThat(refused.headers().getFirst("x-ratelimit-limit-requests")).isEqualTo("4");
        assertThat(refused.headers().getFirst("Retry-After")).isEqualTo("15");
        assertThat(deploymentLimits(a, "interplay").get("remaining").get("requests").asLong())
                .as("the team's refused requests hold nothing on the deployment").isEqualTo(6);

        List<Outcome> otherOutcomes = burst(7, 3, other, chat("interplay", 5));
        assertThat(count(otherOutcomes, 200)).isEqualTo(6);
        assertThat(otherOutcomes.stream().filter(o -> o.status() == 429).map(Outcome::code).toList())
                .containsExactly("deployment_capacity_exceeded");

        JsonNode interplay = quota(b, limited[1], "interplay");
        assertThat(interplay.get("requestsPerMinute").asLong()).isEqualTo(4);
        assertThat(interplay.get("tokensPerMinute").isNull()).isTrue();
        assertThat(interplay.get("source").asString()).isEqualTo("admin");
        assertThat(interplay.get("remaining").get("requests").asLong()).isZero();
    }

    @Test
    void redisPausedForThreeHundredMillisecondsMidBurstNeitherDegradesNorOverAdmits() throws Exception {
        String key = teamKey("pause").split(" ")[0];
        MeterRegistry metersA = replicaA.getBean(MeterRegistry.class);
        MeterRegistry metersB = replicaB.getBean(MeterRegistry.class);
        io.lettuce.core.RedisClient pauser = io.lettuce.core.RedisClient.create(redis.url());
        try (var connection = pauser.connect()) {
            java.util.concurrent.CompletableFuture<List<Outcome>> outcomes =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> burst(130, 20, key, chat("pause", 5)));
            // pause once the burst is under way: every replica's calls queue behind it
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (simulator.deployment("pause").stats().requests() < 20 && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            long pausedAt = simulator.deployment("pause").stats().requests();
            connection.sync().clientPause(300);
            List<Outcome> result = outcomes.get(2, java.util.concurrent.TimeUnit.MINUTES);
            System.out.println("Redis paused 300 ms after " + pausedAt + " requests; retries A " + counter(metersA, "gateway.quota.store.retries")
                    + ", B " + counter(metersB, "gateway.quota.store.retries"));

            assertThat(count(result, 200)).isEqualTo(100);
            assertThat(count(result, 429)).isEqualTo(30);
            assertThat(simulator.deployment("pause").stats().requests()).isEqualTo(100);
            for (MeterRegistry meters : List.of(metersA, metersB)) {
                assertThat(meters.find("gateway.quota.store.breaker.transitions").counters()).as("the breaker never moved").isEmpty();
                assertThat(meters.find("gateway.quota.local.admitted").counters()).as("nothing admitted locally").isEmpty();
                assertThat(meters.get("gateway.quota.store.degraded").gauge().value()).isZero();
            }
        } finally {
            pauser.shutdown();
        }
    }

    private static double counter(MeterRegistry meters, String name) {
        var counter = meters.find(name).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aDeploymentThatAsksForThirtySecondsIsNotCalledByEitherReplicaForThirtySeconds() {
        String key = teamKey("cooling").split(" ")[0];
        SimulatedDeployment east = simulator.deployment("cooling-east");
        SimulatedDeployment west = simulator.deployment("cooling-west");
        east.reset();
        west.reset();
        double coolDownsBefore = coolDowns("cooling-east");
        east.faults().failNext(429, Duration.ofSeconds(30), 1);

        Outcome first = send(a, HttpMethod.POST, "/v1/chat/completions", key, chat("cooling", 3));
        assertThat(first.status()).as("west served what east refused").isEqualTo(200);
        assertThat(first.headers().getFirst("x-gateway-deployment")).isEqualTo("cooling-west");
        assertThat(east.stats().requests()).isEqualTo(1);
        assertThat(west.stats().requests()).isEqualTo(1);

        // 29.999 s on the store's clock: east is preferred, healthy again, and still skipped by both replicas
        clock.advance(Duration.ofMillis(29_999));
        List<Outcome> within = burst(40, 4, key, chat("cooling", 3));
        assertThat(count(within, 200)).isEqualTo(40);
        assertThat(within).allSatisfy(o -> assertThat(o.headers().getFirst("x-gateway-deployment")).isEqualTo("cooling-west"));
        assertThat(east.stats().requests()).as("calls east got within its 30 s").isEqualTo(1);
        assertThat(west.stats().requests()).isEqualTo(41);

        clock.advance(Duration.ofMillis(1));
        List<Outcome> after = burst(10, 2, key, chat("cooling", 3));
        assertThat(count(after, 200)).isEqualTo(10);
        assertThat(after).allSatisfy(o -> assertThat(o.headers().getFirst("x-gateway-deployment")).isEqualTo("cooling-east"));
        assertThat(east.stats().requests()).as("back in rotation on both replicas when the 30 s are over").isEqualTo(11);
        assertThat(coolDowns("cooling-east") - coolDownsBefore).as("cool-downs started, both replicas").isEqualTo(1);
    }

    @Test
    void whenEveryDeploymentOfThePoolIsCoolingDownTheClientIsToldTheShortestWait() {
        String key = teamKey("all-cooling").split(" ")[0];
        COOLING_POOL.forEach(name -> simulator.deployment(name).reset());
        simulator.deployment("cooling-east").faults().failNext(429, Duration.ofSeconds(20), 1);
        simulator.deployment("cooling-west").faults().failNext(503, Duration.ofMillis(12_500), 1);

        try {
            everyMemberAskedToWait(key);
        } finally {
            clock.advance(Duration.ofSeconds(21)); // both cool-downs over: the next test starts healthy
        }
    }

    private void everyMemberAskedToWait(String key) {
        Outcome failed = send(b, HttpMethod.POST, "/v1/chat/completions", key, chat("cooling", 3));
        assertThat(failed.status()).as("the last failure").isEqualTo(503);
        assertThat(failed.code()).isEqualTo("upstream_unavailable");
        Outcome refused = send(a, HttpMethod.POST, "/v1/chat/completions", key, chat("cooling", 3));
        assertThat(refused.status()).as("neither is called: both asked to wait").isEqualTo(429);
        assertThat(refused.code()).isEqualTo("upstream_rate_limited");
        assertThat(refused.headers().getFirst("retry-after-ms")).isEqualTo("12500");
        assertThat(refused.headers().getFirst("Retry-After")).isEqualTo("13");
        assertThat(simulator.deployment("cooling-east").stats().requests() + simulator.deployment("cooling-west").stats().requests())
                .isEqualTo(2);
    }

    private static double coolDowns(String deployment) {
        double sum = 0;
        for (ConfigurableApplicationContext replica : List.of(replicaA, replicaB)) {
            var counter = replica.getBean(MeterRegistry.class).find("gateway.deployment.cool-downs").tag("deployment", deployment).counter();
            sum += counter == null ? 0 : counter.count();
        }
        return sum;
    }

    @Test
    void aLimitChangedOnOneReplicaAppliesOnBothAtOnceWithoutResettingWhatWasSpent() {
        String key = teamKey("change").split(" ")[0];
        assertThat(count(burst(80, 10, key, chat("change", 5)), 200)).isEqualTo(80);
        assertThat(deploymentLimits(a, "change").get("remaining").get("requests").asLong()).isEqualTo(20);
        assertThat(deploymentLimits(b, "change").get("remaining").get("requests").asLong()).isEqualTo(20);

        Outcome lowered = admin(a, HttpMethod.PUT, "/admin/v1/deployments/change/limits",
                "{\"tokensPerMinute\":10000000,\"requestsPerMinute\":50}");
        assertThat(lowered.status()).isEqualTo(200);
        assertThat(lowered.body().get("requestsPerMinute").asLong()).isEqualTo(50);
        assertThat(lowered.body().get("source").asString()).isEqualTo("admin");
        JsonNode onB = deploymentLimits(b, "change");
        assertThat(onB.get("requestsPerMinute").asLong()).isEqualTo(50);
        assertThat(onB.get("remaining").get("requests").asLong()).as("80 spent: nothing given back").isEqualTo(20);

        Outcome raised = admin(b, HttpMethod.PUT, "/admin/v1/deployments/change/limits",
                "{\"tokensPerMinute\":10000000,\"requestsPerMinute\":200}");
        assertThat(raised.status()).isEqualTo(200);
        JsonNode onA = deploymentLimits(a, "change");
        assertThat(onA.get("requestsPerMinute").asLong()).isEqualTo(200);
        assertThat(onA.get("remaining").get("requests").asLong()).as("20 left + the 150 the limit grew by").isEqualTo(170);
        assertThat(onA.get("source").asString()).isEqualTo("admin");

        List<Outcome> outcomes = burst(171, 10, key, chat("change", 5));
        assertThat(count(outcomes, 200)).isEqualTo(170);
        assertThat(count(outcomes, 429)).isEqualTo(1);

        JsonNode audit = admin(a, HttpMethod.GET, "/admin/v1/audit?limit=5", null).body().get("entries");
        assertThat(audit.get(0).get("action").asString()).isEqualTo("deployment.limits");
    }

    /**
     * Redis killed mid-minute (and back empty, as a server without persistence restarts): each replica admits from a
     * share of what Redis last reported — together exactly what was left, not a fresh minute each; limited teams get
     * 503; once Redis answers again, the replicas charge it with what they admitted and enforcement is shared again.
     */
    @Test
    @Order(Integer.MAX_VALUE)
    void whenRedisIsKilledMidMinuteTheReplicasTogetherAdmitWhatWasLeftAndChargeItBack() throws Exception {
        String[] limited = teamKey("outage-limited").split(" ");
        String free = teamKey("outage-free").split(" ")[0];
        assertThat(admin(a, HttpMethod.PUT, "/admin/v1/teams/" + limited[1] + "/quotas/outage", "{\"requestsPerMinute\":5}").status())
                .isEqualTo(200);
        for (int i = 0; i < 10; i++) {
            assertThat(send(i % 2 == 0 ? a : b, HttpMethod.POST, "/v1/chat/completions", free, chat("outage", 5)).status()).isEqualTo(200);
        }
        // both replicas' last word from Redis on the deployment: 990 requests left this minute
        assertThat(deploymentLimits(a, "outage").get("remaining").get("requests").asLong()).isEqualTo(990);
        assertThat(deploymentLimits(b, "outage").get("remaining").get("requests").asLong()).isEqualTo(990);

        redis.kill();
        MeterRegistry metersA = replicaA.getBean(MeterRegistry.class);
        MeterRegistry metersB = replicaB.getBean(MeterRegistry.class);

        Outcome refused = send(a, HttpMethod.POST, "/v1/chat/completions", limited[0], chat("outage", 5));
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.code()).isEqualTo("quota_unavailable");
        assertThat(refused.headers().getFirst("Retry-After")).isEqualTo("1");

        // each replica: half of the 990 left (the floor of 2 replicas, and 2 alive), then refused as the deployment's capacity
        List<Long> millis = new ArrayList<>();
        long[] admitted = new long[2];
        for (int r = 0; r < 2; r++) {
            WebClient replica = r == 0 ? a : b;
            Outcome last = null;
            for (int i = 0; i < 600; i++) {
                long started = System.nanoTime();
                last = send(replica, HttpMethod.POST, "/v1/chat/completions", free, chat("outage", 5));
                millis.add((System.nanoTime() - started) / 1_000_000);
                if (last.status() != 200) {
                    break;
                }
                admitted[r]++;
            }
            assertThat(last.status()).isEqualTo(429);
            assertThat(last.code()).isEqualTo("deployment_capacity_exceeded");
            assertThat(last.headers().getFirst("x-ratelimit-limit-requests")).as("the replica's share").isEqualTo("500");
        }
        System.out.println("Redis down: admitted locally A " + admitted[0] + ", B " + admitted[1] + "; slowest request " + java.util.Collections.max(millis) + " ms");
        assertThat(admitted).containsExactly(495, 495);
        assertThat(admitted[0] + admitted[1]).as("together: what Redis said was left").isEqualTo(990);
        // nobody waited for Redis: a dead Redis refuses at once, no call ran into its timeout (not a wall-clock bound)
        for (MeterRegistry meters : List.of(metersA, metersB)) {
            assertThat(meters.find("gateway.quota.store.calls").tag("outcome", "timeout").timers()).isEmpty();
            assertThat(meters.find("gateway.quota.store.calls").tag("outcome", "error").timer()).isNotNull();
        }
        assertThat(metersA.get("gateway.quota.store.degraded").gauge().value()).isEqualTo(1.0);
        assertThat(metersA.get("gateway.quota.store.failures").counter().count()).isGreaterThan(0);

        redis.resume(); // empty: what the buckets held is gone with the server
        long started = System.nanoTime();
        long deadline = started + Duration.ofSeconds(30).toNanos();
        // admin reads probe Redis (the breaker half-opens after retry-interval); the next heartbeat then charges it back
        while ((charged(metersA) < 495 || charged(metersB) < 495) && System.nanoTime() < deadline) {
            deploymentLimits(a, "outage");
            deploymentLimits(b, "outage");
            Thread.sleep(100);
        }
        long recoveredAfter = (System.nanoTime() - started) / 1_000_000;
        System.out.println("Redis back: both replicas charged it " + recoveredAfter + " ms later");
        assertThat(charged(metersA)).isEqualTo(495);
        assertThat(charged(metersB)).isEqualTo(495);
        assertThat(metersA.get("gateway.quota.store.degraded").gauge().value()).isZero();
        assertThat(metersB.get("gateway.quota.store.degraded").gauge().value()).isZero();
        JsonNode outage = deploymentLimits(b, "outage");
        assertThat(outage.get("remaining").get("requests").asLong()).as("a full bucket again, less what was admitted locally").isEqualTo(10);

        // the team's allowance (5 a minute, which the empty Redis learnt again from the next request) and the deployment's 10
        List<Outcome> limitedAfter = burst(8, 4, limited[0], chat("outage", 5));
        assertThat(count(limitedAfter, 200)).isEqualTo(5);
        assertThat(limitedAfter.stream().filter(o -> o.status() == 429).map(Outcome::code).distinct().toList()).containsExactly("team_quota_exceeded");
        List<Outcome> freeAfter = burst(10, 4, free, chat("outage", 5));
        assertThat(count(freeAfter, 200)).isEqualTo(5);
        assertThat(freeAfter.stream().filter(o -> o.status() == 429).map(Outcome::code).distinct().toList())
                .containsExactly("deployment_capacity_exceeded");
    }

    private static double charged(MeterRegistry meters) {
        var counter = meters.find("gateway.quota.local.charged").tag("unit", "requests").counter();
        return counter == null ? 0 : counter.count();
    }
}
