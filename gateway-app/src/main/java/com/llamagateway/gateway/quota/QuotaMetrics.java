package com.llamagateway.gateway.quota;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The quota's meters:
 * <ul>
 *   <li>{@code gateway.quota.requests} and {@code gateway.quota.tokens} (tags {@code scope}: team | deployment,
 *       {@code outcome}: admitted | refused) — tokens are the reserved amounts;</li>
 *   <li>{@code gateway.quota.tokens.settled} (tag {@code scope}) — tokens actually used, after settlement;</li>
 *   <li>{@code gateway.quota.prompt.estimate.ratio} — estimated ÷ reported prompt tokens, per answer;</li>
 *   <li>{@code gateway.quota.store.failures} and the gauge {@code gateway.quota.store.degraded} (1 while Redis is
 *       unreachable);</li>
 *   <li>{@code gateway.quota.settlement.failures} — usage that could not be written back to the store.</li>
 * </ul>
 */
public final class QuotaMetrics {

    private final MeterRegistry registry;
    private final DistributionSummary estimateRatio;
    private final Counter storeFailures;
    private final Counter settlementFailures;
    private final AtomicInteger degraded = new AtomicInteger();

    public QuotaMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.estimateRatio = DistributionSummary.builder("gateway.quota.prompt.estimate.ratio")
                .description("Estimated prompt tokens divided by the prompt tokens the deployment reported")
                .publishPercentiles(0.5, 0.95, 0.99).register(registry);
        this.storeFailures = Counter.builder("gateway.quota.store.failures").description("Redis operations that failed or timed out")
                .register(registry);
        this.settlementFailures = Counter.builder("gateway.quota.settlement.failures")
                .description("Refunds and charges that could not be written to the store").register(registry);
        registry.gauge("gateway.quota.store.degraded", degraded);
    }

    void admitted(Scope.Kind scope, long tokens) {
        count(scope, "admitted", tokens);
    }

    void refused(Scope.Kind scope, long tokens) {
        count(scope, "refused", tokens);
    }

    private void count(Scope.Kind scope, String outcome, long tokens) {
        registry.counter("gateway.quota.requests", "scope", scope.label(), "outcome", outcome).increment();
        registry.counter("gateway.quota.tokens", "scope", scope.label(), "outcome", outcome).increment(tokens);
    }

    void settled(Scope.Kind scope, long tokens) {
        registry.counter("gateway.quota.tokens.settled", "scope", scope.label()).increment(tokens);
    }

    void promptEstimate(long estimated, long reported) {
        if (reported > 0) {
            estimateRatio.record((double) estimated / reported);
        }
    }

    void storeFailed() {
        storeFailures.increment();
    }

    void degraded(boolean value) {
        degraded.set(value ? 1 : 0);
    }

    void settlementFailed() {
        settlementFailures.increment();
    }
}
