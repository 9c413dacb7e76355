package com.llamagateway.gateway.quota;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.IntSupplier;

/**
 * The quota's meters (docs/quotas.md, "Metrics"):
 * <ul>
 *   <li>{@code gateway.quota.requests} and {@code gateway.quota.tokens} (tags {@code scope}: team | deployment,
 *       {@code outcome}: admitted | refused) — tokens are the reserved amounts;</li>
 *   <li>{@code gateway.quota.tokens.settled} (tag {@code scope}) — tokens actually used, after settlement;</li>
 *   <li>{@code gateway.quota.prompt.estimate.ratio} — estimated ÷ reported prompt tokens, per answer;</li>
 *   <li>the Redis store: {@code gateway.quota.store.calls} (timer, tag {@code outcome}: ok | timeout | error),
 *       {@code gateway.quota.store.retries}, {@code gateway.quota.store.failures}, the gauges
 *       {@code gateway.quota.store.degraded} (1 while the breaker is not closed), {@code gateway.quota.store.timeout}
 *       (the first try's timeout, ms) and {@code gateway.quota.replicas.live}, and
 *       {@code gateway.quota.store.breaker.transitions} (tag {@code to});</li>
 *   <li>the local share: {@code gateway.quota.local.admitted} (tag {@code scope}), {@code gateway.quota.local.charged}
 *       (tag {@code unit}: charged to Redis afterwards);</li>
 *   <li>{@code gateway.quota.settlement.failures}, {@code .queued}, {@code .dropped} — usage not written at once.</li>
 * </ul>
 */
public final class QuotaMetrics {

    private final MeterRegistry registry;
    private final DistributionSummary estimateRatio;
    private final Counter storeFailures;
    private final Counter storeRetries;
    private final Counter settlementFailures;
    private final Counter settlementQueued;
    private final Counter settlementDropped;
    private final java.util.Map<String, Timer> storeCalls = new java.util.concurrent.ConcurrentHashMap<>();
    /** Counted on every request: by scope and outcome ({@link #ADMITTED}, {@link #REFUSED}), and by scope. */
    private final LazyCounter[][] requests = new LazyCounter[Scope.Kind.values().length][OUTCOMES.length];
    private final LazyCounter[][] tokens = new LazyCounter[Scope.Kind.values().length][OUTCOMES.length];
    private final LazyCounter[] settled = new LazyCounter[Scope.Kind.values().length];

    private static final String[] OUTCOMES = {"admitted", "refused"};
    private static final int ADMITTED = 0;
    private static final int REFUSED = 1;

    public QuotaMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.estimateRatio = DistributionSummary.builder("gateway.quota.prompt.estimate.ratio")
                .description("Estimated prompt tokens divided by the prompt tokens the deployment reported")
                .publishPercentiles(0.5, 0.95, 0.99).register(registry);
        this.storeFailures = Counter.builder("gateway.quota.store.failures").description("Redis calls that failed or timed out, retry included")
                .register(registry);
        this.storeRetries = Counter.builder("gateway.quota.store.retries").description("Redis calls tried a second time").register(registry);
        this.settlementFailures = Counter.builder("gateway.quota.settlement.failures")
                .description("Refunds and charges that could not be written to the store").register(registry);
        this.settlementQueued = Counter.builder("gateway.quota.settlement.queued")
                .description("Settlements kept while Redis was unavailable, written when it answers again").register(registry);
        this.settlementDropped = Counter.builder("gateway.quota.settlement.dropped")
                .description("Settlements dropped because too many were waiting for Redis").register(registry);
        for (Scope.Kind scope : Scope.Kind.values()) {
            for (int outcome = 0; outcome < OUTCOMES.length; outcome++) {
                String[] tags = {"scope", scope.label(), "outcome", OUTCOMES[outcome]};
                requests[scope.ordinal()][outcome] = new LazyCounter(() -> registry.counter("gateway.quota.requests", tags));
                tokens[scope.ordinal()][outcome] = new LazyCounter(() -> registry.counter("gateway.quota.tokens", tags));
            }
            settled[scope.ordinal()] = new LazyCounter(() -> registry.counter("gateway.quota.tokens.settled", "scope", scope.label()));
        }
    }

    /**
     * A counter registered at its first count (so a series appears once something was counted, as before): a registry
     * look-up per count builds and hashes the meter's id, which costs more than the count.
     */
    private static final class LazyCounter {

        private final java.util.function.Supplier<Counter> register;
        private volatile Counter counter;

        LazyCounter(java.util.function.Supplier<Counter> register) {
            this.register = register;
        }

        Counter get() {
            Counter registered = counter;
            if (registered == null) {
                registered = register.get(); // two threads at once get the same meter from the registry
                counter = registered;
            }
            return registered;
        }
    }

    void admitted(Scope.Kind scope, long tokens) {
        count(scope, ADMITTED, tokens);
    }

    void refused(Scope.Kind scope, long tokens) {
        count(scope, REFUSED, tokens);
    }

    private void count(Scope.Kind scope, int outcome, long tokens) {
        requests[scope.ordinal()][outcome].get().increment();
        this.tokens[scope.ordinal()][outcome].get().increment(tokens);
    }

    void settled(Scope.Kind scope, long tokens) {
        settled[scope.ordinal()].get().increment(tokens);
    }

    void promptEstimate(long estimated, long reported) {
        if (reported > 0) {
            estimateRatio.record((double) estimated / reported);
        }
    }

    void storeState(IntSupplier degraded, IntSupplier liveReplicas, DoubleSupplier firstTryTimeoutMillis) {
        Gauge.builder("gateway.quota.store.degraded", degraded::getAsInt).description("1 while Redis counts as unavailable")
                .register(registry);
        Gauge.builder("gateway.quota.replicas.live", liveReplicas::getAsInt).description("Gateway replicas alive, as Redis last told")
                .register(registry);
        Gauge.builder("gateway.quota.store.timeout", firstTryTimeoutMillis::getAsDouble).baseUnit("milliseconds")
                .description("How long the first try of a Redis call may take").register(registry);
    }

    /** @param outcome ok | timeout | error */
    void storeCall(String outcome, long nanos) {
        storeCalls.computeIfAbsent(outcome, o -> Timer.builder("gateway.quota.store.calls").tag("outcome", o)
                .description("Redis quota calls, retry included").publishPercentiles(0.5, 0.99).register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    void storeRetried() {
        storeRetries.increment();
    }

    void storeFailed() {
        storeFailures.increment();
    }

    void breakerTransition(String to) {
        registry.counter("gateway.quota.store.breaker.transitions", "to", to).increment();
    }

    void localAdmitted(boolean team) {
        registry.counter("gateway.quota.local.admitted", "scope", Scope.Kind.DEPLOYMENT.label()).increment();
        if (team) {
            registry.counter("gateway.quota.local.admitted", "scope", Scope.Kind.TEAM.label()).increment();
        }
    }

    void localCharged(long tokens, long requests) {
        registry.counter("gateway.quota.local.charged", "unit", Unit.TOKENS.label()).increment(tokens);
        registry.counter("gateway.quota.local.charged", "unit", Unit.REQUESTS.label()).increment(requests);
    }

    void settlementFailed() {
        settlementFailures.increment();
    }

    void settlementQueued() {
        settlementQueued.increment();
    }

    void settlementDropped() {
        settlementDropped.increment();
    }
}
