package com.llamagateway.gateway.quota;

import com.llamagateway.gateway.protocol.CanonicalRequest;
import com.llamagateway.gateway.protocol.ChatMessage;
import com.llamagateway.gateway.protocol.DialectName;
import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.protocol.Operation;
import com.llamagateway.gateway.protocol.Usage;
import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.routing.DeploymentKind;
import com.llamagateway.gateway.support.ManualClock;
import com.llamagateway.gateway.tokens.LlamaTokenCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.node.IntNode;
import tools.jackson.databind.node.StringNode;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reservation and settlement arithmetic on in-memory buckets, with the clock held still. */
class AdmissionTest {

    private static final String MODEL = "Meta-Llama-3.1-70B-Instruct";
    private static final String TEAM = "team-1";

    private final ManualClock clock = new ManualClock();
    private final MemoryQuotaStore store = new MemoryQuotaStore(clock::currentTimeMillis, MemoryQuotaStore.Seed.FULL);
    private final LlamaTokenCounter counter = new LlamaTokenCounter();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final QuotaMetrics metrics = new QuotaMetrics(meters);
    private long configVersion = 1;
    private QuotaLimits limits = limits(new QuotaProperties.Limits(null, null));
    private Admission admission = new Admission(limits, store, counter, 4096, metrics);

    /** As a replica started later would know them: a newer configuration wins over the one the store holds. */
    private QuotaLimits limits(QuotaProperties.Limits teamDefault) {
        return new QuotaLimits(null, teamDefault, configVersion++, Duration.ofSeconds(1));
    }

    private void teamDefault(Long tokensPerMinute, Long requestsPerMinute) {
        limits = limits(new QuotaProperties.Limits(tokensPerMinute, requestsPerMinute));
        admission = new Admission(limits, store, counter, 4096, metrics);
    }

    private static Deployment deployment(String name, long tokensPerMinute, long requestsPerMinute) {
        return new Deployment(name, DeploymentKind.SERVERLESS, URI.create("http://127.0.0.1:1"), "k", MODEL, DialectName.V1, null, "v",
                Duration.ofSeconds(1), Duration.ofSeconds(1), new Deployment.Capacity(tokensPerMinute, requestsPerMinute));
    }

    private static CanonicalRequest chat(String text, Integer maxTokens, Integer n, Integer bestOf) {
        return new CanonicalRequest(Operation.CHAT, MODEL, List.of(new ChatMessage("user", StringNode.valueOf(text), null, List.of(), null)),
                null, false, false, maxTokens, n, null, null, null, null,
                bestOf == null ? Map.of() : Map.of("best_of", IntNode.valueOf(bestOf)), Map.of());
    }

    /** What the scope's bucket of the unit holds now (the limits passed are known to the store already). */
    private long available(Scope scope, Unit unit, long perMinute) {
        QuotaStore.Levels levels = store.peek(MODEL, new ScopeQuota(scope, new ScopeLimits(perMinute, perMinute, "config", 0))).block().levels();
        assertThat(levels.limit(unit)).isEqualTo(perMinute);
        return levels.left(unit);
    }

    private Admission.Admitted admit(CanonicalRequest request, Deployment... pool) {
        return admission.admit(TEAM, MODEL, List.of(pool), request).block();
    }

    private GatewayError refusal(CanonicalRequest request, Deployment... pool) {
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> admit(request, pool));
        assertThat(thrown).isInstanceOf(GatewayError.class);
        return (GatewayError) thrown;
    }

    @Test
    void theDemandIsThePromptEstimateAndTheLargestOutputOfEveryChoice() {
        CanonicalRequest request = chat("Hello there", 100, null, null);
        long prompt = counter.prompt(request);
        assertThat(prompt).isEqualTo(5 + 5 + counter.count("Hello there")); // priming + one message + its text
        assertThat(Demand.of(request, counter, 4096)).isEqualTo(new Demand(prompt, 100));
        assertThat(Demand.of(chat("Hello there", 100, 3, null), counter, 4096).outputTokens()).isEqualTo(300);
        assertThat(Demand.of(chat("Hello there", 100, 2, 5), counter, 4096).outputTokens()).isEqualTo(500);
        assertThat(Demand.of(chat("Hello there", null, null, null), counter, 4096).outputTokens()).as("default cap").isEqualTo(4096);
    }

    @Test
    void admissionReservesOnBothScopesAndSettlementLeavesExactlyTheLimitMinusUsage() {
        teamDefault(50_000L, 10L);
        Deployment d = deployment("d", 400_000, 1_000);
        CanonicalRequest request = chat("Tell me about llamas", 500, null, null);
        long reserved = Demand.of(request, counter, 4096).tokens();

        Admission.Admitted admitted = admit(request, d);
        assertThat(admitted.deployment()).isEqualTo(d);
        assertThat(available(Scope.deployment("d"), Unit.TOKENS, 400_000)).isEqualTo(400_000 - reserved);
        assertThat(available(Scope.deployment("d"), Unit.REQUESTS, 1_000)).isEqualTo(999);
        assertThat(available(Scope.team(TEAM, MODEL), Unit.TOKENS, 50_000)).isEqualTo(50_000 - reserved);
        assertThat(available(Scope.team(TEAM, MODEL), Unit.REQUESTS, 10)).isEqualTo(9);
        assertThat(admitted.reservation().headers()).containsEntry("x-ratelimit-limit-requests", "10")
                .containsEntry("x-ratelimit-remaining-requests", "9")
                .containsEntry("x-ratelimit-limit-tokens", "50000")
                .containsEntry("x-ratelimit-remaining-tokens", Long.toString(50_000 - reserved));

        Usage usage = Usage.of(17, 120); // less than reserved: the rest goes back
        admitted.reservation().settle(usage).block();
        assertThat(available(Scope.deployment("d"), Unit.TOKENS, 400_000)).isEqualTo(400_000 - 137);
        assertThat(available(Scope.team(TEAM, MODEL), Unit.TOKENS, 50_000)).isEqualTo(50_000 - 137);
        assertThat(available(Scope.deployment("d"), Unit.REQUESTS, 1_000)).as("a served request stays counted").isEqualTo(999);

        admitted.reservation().settle(Usage.of(1, 1)).block();
        admitted.reservation().refund().block();
        assertThat(available(Scope.deployment("d"), Unit.TOKENS, 400_000)).as("settled once only").isEqualTo(400_000 - 137);
        assertThat(meters.get("gateway.quota.tokens").tag("scope", "team").tag("outcome", "admitted").counter().count()).isEqualTo(reserved);
        assertThat(meters.get("gateway.quota.tokens.settled").tag("scope", "deployment").counter().count()).isEqualTo(137);
        assertThat(meters.get("gateway.quota.tokens.settled").tag("scope", "team").counter().count()).isEqualTo(137);
    }

    @Test
    void usageAboveTheReservationIsChargedIntoDebtAndTheNextRequestWaitsForIt() {
        Deployment d = deployment("d", 6_000, 1_000); // refills 100 tokens a second
        CanonicalRequest request = chat("Hi", 1_000, null, null);
        long reserved = Demand.of(request, counter, 4096).tokens();

        Admission.Admitted admitted = admit(request, d);
        admitted.reservation().settle(Usage.of(1_000, 6_000)).block(); // 7,000 used: 1,000 more than the bucket holds
        assertThat(available(Scope.deployment("d"), Unit.TOKENS, 6_000)).isEqualTo(-1_000);
        assertThat(reserved).isLessThan(7_000);

        GatewayError refused = refusal(chat("Hi", 1_000, null, null), d);
        assertThat(refused.status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
        assertThat(refused.code()).isEqualTo(ErrorCode.DEPLOYMENT_CAPACITY_EXCEEDED);
        // it needs `reserved` tokens; the bucket has -1,000 and gains 100 a second
        long waitMillis = (1_000 + reserved) * 10;
        assertThat(refused.headers()).containsEntry("retry-after-ms", Long.toString(waitMillis))
                .containsEntry("Retry-After", Long.toString((waitMillis + 999) / 1000))
                .containsEntry("x-ratelimit-limit-tokens", "6000")
                .containsEntry("x-ratelimit-remaining-tokens", "0")
                .containsEntry("x-ratelimit-limit-requests", "1000")
                .containsEntry("x-ratelimit-remaining-requests", "999");
        assertThat(available(Scope.deployment("d"), Unit.REQUESTS, 1_000)).as("the refused request gave its request back").isEqualTo(999);

        clock.advance(Duration.ofMillis(waitMillis));
        assertThat(admit(chat("Hi", 1_000, null, null), d)).isNotNull();
    }

    @Test
    void aFailedCallIsRefundedWhole() {
        teamDefault(10_000L, 5L);
        Deployment d = deployment("d", 400_000, 1_000);
        admit(chat("Hello", 300, null, null), d).reservation().refund().block();
        assertThat(available(Scope.deployment("d"), Unit.TOKENS, 400_000)).isEqualTo(400_000);
        assertThat(available(Scope.deployment("d"), Unit.REQUESTS, 1_000)).isEqualTo(1_000);
        assertThat(available(Scope.team(TEAM, MODEL), Unit.TOKENS, 10_000)).isEqualTo(10_000);
        assertThat(available(Scope.team(TEAM, MODEL), Unit.REQUESTS, 5)).isEqualTo(5);
    }

    @Test
    void aTeamRefusalLeavesNothingHeldOnTheDeployment() {
        teamDefault(null, 2L);
        Deployment d = deployment("d", 400_000, 1_000);
        admit(chat("a", 10, null, null), d);
        admit(chat("b", 10, null, null), d);
        long tokensAfterTwo = available(Scope.deployment("d"), Unit.TOKENS, 400_000);

        GatewayError refused = refusal(chat("c", 10, null, null), d);
        assertThat(refused.code()).isEqualTo(ErrorCode.TEAM_QUOTA_EXCEEDED);
        assertThat(refused.headers()).containsEntry("x-ratelimit-limit-requests", "2").containsEntry("x-ratelimit-remaining-requests", "0")
                .containsEntry("Retry-After", "30").containsEntry("retry-after-ms", "30000") // 2 a minute: one every 30 s
                .doesNotContainKey("x-ratelimit-limit-tokens");                                 // the team has no token limit
        assertThat(available(Scope.deployment("d"), Unit.TOKENS, 400_000)).isEqualTo(tokensAfterTwo);
        assertThat(available(Scope.deployment("d"), Unit.REQUESTS, 1_000)).isEqualTo(998);
        assertThat(meters.get("gateway.quota.requests").tag("scope", "team").tag("outcome", "refused").counter().count()).isEqualTo(1);
        assertThat(meters.get("gateway.quota.requests").tag("scope", "deployment").tag("outcome", "admitted").counter().count()).isEqualTo(2);
    }

    @Test
    void theFirstDeploymentOfThePoolWithRoomServesTheRequest() {
        Deployment full = deployment("full", 400_000, 1);
        Deployment spare = deployment("spare", 400_000, 1_000);
        assertThat(admit(chat("a", 10, null, null), full, spare).deployment()).isEqualTo(full);
        assertThat(admit(chat("b", 10, null, null), full, spare).deployment()).isEqualTo(spare);
        assertThat(available(Scope.deployment("full"), Unit.TOKENS, 400_000)).as("nothing held where it was refused")
                .isEqualTo(400_000 - Demand.of(chat("a", 10, null, null), counter, 4096).tokens());
    }

    @Test
    void whenNoDeploymentHasRoomTheRefusalShowsTheOneThatFreesUpFirst() {
        Deployment slow = deployment("slow", 400_000, 1);   // one request a minute
        Deployment fast = deployment("fast", 400_000, 6);   // one every 10 s
        admit(chat("a", 10, null, null), slow, fast);
        for (int i = 0; i < 6; i++) {
            admit(chat("b", 10, null, null), slow, fast);
        }
        GatewayError refused = refusal(chat("c", 10, null, null), slow, fast);
        assertThat(refused.code()).isEqualTo(ErrorCode.DEPLOYMENT_CAPACITY_EXCEEDED);
        assertThat(refused.headers()).containsEntry("Retry-After", "10").containsEntry("x-ratelimit-limit-requests", "6");
    }

    @Test
    void aRequestLargerThanABucketIsA400NotA429() {
        teamDefault(1_000L, null);
        Deployment d = deployment("d", 400_000, 1_000);
        GatewayError team = refusal(chat("Hi", 2_000, null, null), d);
        assertThat(team.status()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(team.code()).isEqualTo(ErrorCode.REQUEST_EXCEEDS_QUOTA);
        assertThat(team.getMessage()).contains("the team's allowance of 1000 tokens per minute");

        teamDefault(null, null);
        Deployment small = deployment("small", 1_000, 1_000);
        Deployment smaller = deployment("smaller", 500, 1_000);
        GatewayError pool = refusal(chat("Hi", 2_000, null, null), small, smaller);
        assertThat(pool.status()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(pool.getMessage()).contains("every deployment of the model").contains("1000 tokens per minute");
        assertThat(admit(chat("Hi", 900, null, null), small, smaller).deployment()).as("it fits the larger one").isEqualTo(small);
    }

    @Test
    void aRaisedLimitKeepsWhatWasSpentAndALoweredOneGivesNothingBack() {
        Scope scope = Scope.deployment("d");
        Deployment d = deployment("d", 100, 1_000);
        admit(chat("x", 60 - (int) counter.prompt(chat("x", 0, null, null)), null, null), d); // 60 tokens spent
        assertThat(level(scope, 200, 2)).as("60 spent of 200").isEqualTo(new QuotaStore.Levels(140, 200, 999, 1_000));
        assertThat(level(scope, 100, 1)).as("an older version does not go back").isEqualTo(new QuotaStore.Levels(140, 200, 999, 1_000));
        assertThat(level(scope, 200, 3)).isEqualTo(new QuotaStore.Levels(140, 200, 999, 1_000));
        configVersion = 3;
        teamDefault(null, null);
        admit(chat("x", 120 - (int) counter.prompt(chat("x", 0, null, null)), null, null), deployment("d", 200, 1_000));
        assertThat(level(scope, 100, 4)).as("20 left stays 20 left").isEqualTo(new QuotaStore.Levels(20, 100, 998, 1_000));
        assertThat(level(scope, 10, 5)).as("what is left never exceeds the new limit").isEqualTo(new QuotaStore.Levels(10, 10, 998, 1_000));
        assertThatThrownBy(() -> new ScopeLimits(0L, null, "admin", 6)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ScopeLimits(ScopeLimits.MAX_PER_MINUTE + 1, null, "admin", 6)).isInstanceOf(IllegalArgumentException.class);
    }

    private QuotaStore.Levels level(Scope scope, long tokensPerMinute, long version) {
        return store.peek(MODEL, new ScopeQuota(scope, new ScopeLimits(tokensPerMinute, 1_000L, "admin", version))).block().levels();
    }
}
