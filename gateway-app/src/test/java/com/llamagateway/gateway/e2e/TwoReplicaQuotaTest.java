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
import org.junit.jupiter.api.Test;
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
 * Two gateway replicas sharing a real Redis (a server of this test's own, so it can be stopped) and PostgreSQL,
 * in front of simulated deployments. The buckets' clock is held still, so that "one window" is exact and what a
 * bucket holds can be compared to the last token.
 */
@ExtendWith(PostgresSchema.Required.class)
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
            "cancel", new long[]{1_000_000, 100_000});

    @BeforeAll
    static void start() throws Exception {
        redis = RedisProcess.start();
        schema = PostgresSchema.create();
        LlamaSimulator.Builder builder = LlamaSimulator.builder();
        DEPLOYMENTS.keySet().forEach(name -> builder.deployment(SimulatedDeployment.serverless(name, name, KEY)));
        simulator = builder.start(0);
        simulator.deployments().forEach(d -> d.behaviour(Behaviour.instant().withReply(LONG_REPLY)));
        simulator.deployment("cancel").behaviour(Behaviour.instant().withReply(LONG_REPLY).withTokenDelay(Duration.ofMillis(20)));
        simulator.deployment("tokens-streamed").behaviour(Behaviour.instant().withReply(String.join(" ", java.util.Arrays.asList(LONG_REPLY.split(" ")).subList(0, 100))));
        replicaA = replica();
        replicaB = replica();
        a = client(replicaA);
        b = client(replicaB);
    }

    private static ConfigurableApplicationContext replica() {
        Map<String, String> properties = new LinkedHashMap<>(schema.properties());
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
    void aTeamAtItsAllowanceIsRefusedWhileAnotherTeamIsAdmitted() {
        String[] limited = teamKey("limited").split(" ");
        String other = teamKey("unlimited").split(" ")[0];
        Outcome set = admin(b, HttpMethod.PUT, "/admin/v1/teams/" + limited[1] + "/quotas/interplay", "{\"requestsPerMinute\":4}");
        assertThat(set.status()).isEqualTo(200);
        // a first allowance (there was no bucket to carry it) reaches the other replica with its next reload of the limits
        long seenAfter = millisUntil(() -> "admin".equals(quota(a, limited[1], "interplay").get("source").asString()));
        System.out.println("Replica A enforces the new allowance " + seenAfter + " ms after it was set on replica B");
        assertThat(seenAfter).isBetween(0L, 1_500L);

        List<Outcome> limitedOutcomes = burst(6, 3, limited[0], chat("interplay", 5));
        assertThat(count(limitedOutcomes, 200)).isEqualTo(4);
        assertThat(limitedOutcomes.stream().filter(o -> o.status() == 429).map(Outcome::code).toList())
                .containsExactly("team_quota_exceeded", "team_quota_exceeded");
        Outcome refused = limitedOutcomes.stream().filter(o -> o.status() == 429).findFirst().orElseThrow();
        assertThat(refused.headers().getFirst("x-ratelimit-limit-requests")).isEqualTo("4");
        assertThat(refused.headers().getFirst("Retry-After")).isEqualTo("15");
        assertThat(deploymentLimits(a, "interplay").get("remaining").get("requests").asLong())
                .as("the team's refused requests hold nothing on the deployment").isEqualTo(6);

        List<Outcome> otherOutcomes = burst(7, 3, other, chat("interplay", 5));
        assertThat(count(otherOutcomes, 200)).isEqualTo(6);
        assertThat(otherOutcomes.stream().filter(o -> o.status() == 429).map(Outcome::code).toList())
                .containsExactly("deployment_capacity_exceeded");

        JsonNode interplay = quota(a, limited[1], "interplay");
        assertThat(interplay.get("requestsPerMinute").asLong()).isEqualTo(4);
        assertThat(interplay.get("tokensPerMinute").isNull()).isTrue();
        assertThat(interplay.get("source").asString()).isEqualTo("admin");
        assertThat(interplay.get("remaining").get("requests").asLong()).isZero();
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

    @Test
    void whileRedisIsDownDeploymentsAdmitTheirShareAndTeamAllowancesRefuseAndEnforcementComesBack() throws Exception {
        String[] limited = teamKey("outage-limited").split(" ");
        String free = teamKey("outage-free").split(" ")[0];
        assertThat(admin(a, HttpMethod.PUT, "/admin/v1/teams/" + limited[1] + "/quotas/outage", "{\"requestsPerMinute\":100}").status())
                .isEqualTo(200);
        assertThat(count(burst(10, 5, limited[0], chat("outage", 5)), 200)).isEqualTo(10);

        redis.kill();
        MeterRegistry metersA = replicaA.getBean(MeterRegistry.class);

        List<Long> millis = new ArrayList<>();
        List<Outcome> freeOutcomes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            long started = System.nanoTime();
            freeOutcomes.add(send(i % 2 == 0 ? a : b, HttpMethod.POST, "/v1/chat/completions", free, chat("outage", 5)));
            millis.add((System.nanoTime() - started) / 1_000_000);
        }
        System.out.println("Redis down: request times (ms) " + millis);
        assertThat(freeOutcomes).allMatch(o -> o.status() == 200);
        assertThat(millis).allMatch(ms -> ms < 1_000);

        Outcome refused = send(a, HttpMethod.POST, "/v1/chat/completions", limited[0], chat("outage", 5));
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.code()).isEqualTo("quota_unavailable");
        assertThat(refused.headers().getFirst("Retry-After")).isEqualTo("1");
        assertThat(metersA.get("gateway.quota.store.degraded").gauge().value()).isEqualTo(1.0);
        assertThat(metersA.get("gateway.quota.store.failures").counter().count()).isGreaterThan(0);

        // the local share: 1,000 / 2 replicas on replica A, 10 of which it has just admitted
        List<Outcome> share = new ArrayList<>();
        for (int i = 0; i < 491; i++) {
            share.add(send(a, HttpMethod.POST, "/v1/chat/completions", free, chat("outage", 5)));
        }
        assertThat(count(share, 200)).isEqualTo(490);
        assertThat(share.get(490).code()).isEqualTo("deployment_capacity_exceeded");

        redis.resume(); // empty: what the buckets held is gone with the server
        long recoveredAt = -1;
        long started = System.nanoTime();
        while (System.nanoTime() - started < Duration.ofSeconds(30).toNanos()) {
            if (send(b, HttpMethod.POST, "/v1/chat/completions", limited[0], chat("outage", 5)).status() == 200) {
                recoveredAt = (System.nanoTime() - started) / 1_000_000;
                break;
            }
            Thread.sleep(100);
        }
        System.out.println("Team allowance enforced through Redis again " + recoveredAt + " ms after Redis came back");
        assertThat(recoveredAt).isNotNegative();
        // replica A finds Redis back on its own next try after its rest; an admin read brings that about without
        // spending the team's allowance (otherwise A may still refuse with 503 while the burst runs)
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (deploymentLimits(a, "outage").path("remaining").isNull() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        List<Outcome> after = burst(100, 10, limited[0], chat("outage", 5));
        assertThat(count(after, 200)).as("100 a minute, one of them taken by the request that saw Redis back").isEqualTo(99);
        assertThat(after.stream().filter(o -> o.status() == 429).map(Outcome::code).toList()).containsExactly("team_quota_exceeded");
        assertThat(Mono.fromSupplier(() -> metersA.get("gateway.quota.store.degraded").gauge().value()).block()).isIn(0.0, 1.0);
    }
}
