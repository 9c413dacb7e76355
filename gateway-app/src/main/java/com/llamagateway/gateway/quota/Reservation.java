package com.llamagateway.gateway.quota;

import com.llamagateway.gateway.protocol.Usage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What an admitted request holds on the team's and the deployment's buckets, until it is settled once: with the
 * real usage (unused tokens go back, usage above the reservation is charged, into debt if need be) or refunded whole
 * when the deployment served nothing. The store settles an admission once whatever is asked of it; this object asks
 * once. A settlement the store fails to take is logged and counted; the request it belongs to is already answered.
 */
public final class Reservation {

    private static final Logger log = LoggerFactory.getLogger(Reservation.class);
    /** Reported usage beyond this is not believed: a settlement charges at most one minute's limit anyway. */
    private static final long MAX_USAGE = 1_000_000_000L;

    private final QuotaStore store;
    private final QuotaStore.Held held;
    private final Demand demand;
    private final boolean teamLimitsTokens;
    private final Map<String, String> headers;
    private final QuotaMetrics metrics;
    private final AtomicBoolean settled = new AtomicBoolean();

    Reservation(QuotaStore store, QuotaStore.Held held, Demand demand, boolean teamLimitsTokens, Map<String, String> headers,
                QuotaMetrics metrics) {
        this.store = store;
        this.held = held;
        this.demand = demand;
        this.teamLimitsTokens = teamLimitsTokens;
        this.headers = Map.copyOf(headers);
        this.metrics = metrics;
    }

    public Demand demand() {
        return demand;
    }

    /** {@code x-ratelimit-*} of the admitted request: per unit, the scope with the least left. */
    public Map<String, String> headers() {
        return headers;
    }

    /** Settles with the usage the deployment reported (or the gateway counted). */
    public Mono<Void> settle(Usage usage) {
        if (usage == null || !settled.compareAndSet(false, true)) {
            return Mono.empty();
        }
        long used = usage.totalTokens() > 0 ? usage.totalTokens() : (long) usage.promptTokens() + usage.completionTokens();
        if (!demand.requestOnly()) { // nothing was estimated
            metrics.promptEstimate(demand.promptTokens(), usage.promptTokens());
        }
        metrics.settled(Scope.Kind.DEPLOYMENT, used);
        if (teamLimitsTokens) {
            metrics.settled(Scope.Kind.TEAM, used);
        }
        return safely(store.settle(held, Math.min(Math.max(0, used), MAX_USAGE)), "settle " + used + " tokens used of " + demand.tokens());
    }

    /** Gives everything back: the deployment served nothing. */
    public Mono<Void> refund() {
        if (!settled.compareAndSet(false, true)) {
            return Mono.empty();
        }
        return safely(store.refund(held), "refund " + demand.tokens() + " tokens and the request");
    }

    private Mono<Void> safely(Mono<QuotaStore.Settled> operation, String what) {
        // the outcome dropped by flatMap, not then(): then() hands it to the discard hook, which it looks up in the
        // context down the whole request's chain of subscribers (0.4 % of a completion's CPU)
        return operation.onErrorResume(error -> {
            metrics.settlementFailed();
            log.warn("Could not {} of admission {} on {} / {} ({}); the buckets keep the reservation", what, held.id(), held.team().field(),
                    held.member().field(), error.toString());
            return Mono.empty();
        }).flatMap(settled -> Mono.empty());
    }
}
