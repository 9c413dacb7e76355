package com.llamagateway.gateway.quota;

import com.llamagateway.gateway.protocol.Usage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What an admitted request holds in every bucket, until it is settled once: with the real usage (unused tokens
 * go back, usage above the reservation is charged, into debt if need be) or refunded whole when the deployment
 * served nothing. A settlement the store fails to take is logged and counted; the request it belongs to is
 * already answered.
 */
public final class Reservation {

    private static final Logger log = LoggerFactory.getLogger(Reservation.class);

    /** What was taken from one bucket. */
    record Hold(BucketSpec bucket, long amount, BucketStore.Held held) {
    }

    private final List<Hold> holds;
    private final Demand demand;
    private final Map<String, String> headers;
    private final QuotaMetrics metrics;
    private final AtomicBoolean settled = new AtomicBoolean();

    Reservation(List<Hold> holds, Demand demand, Map<String, String> headers, QuotaMetrics metrics) {
        this.holds = List.copyOf(holds);
        this.demand = demand;
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
        metrics.promptEstimate(demand.promptTokens(), usage.promptTokens());
        return Flux.fromIterable(holds)
                .filter(hold -> hold.bucket().unit() == Unit.TOKENS)
                .flatMap(hold -> {
                    metrics.settled(hold.bucket().scope().kind(), used);
                    long unused = hold.amount() - used;
                    return unused > 0 ? safely(hold, hold.held().giveBack(unused), "give back " + unused)
                            : unused < 0 ? safely(hold, hold.held().charge(-unused), "charge " + -unused)
                            : Mono.<Void>empty();
                })
                .then();
    }

    /** Gives everything back: the deployment served nothing. */
    public Mono<Void> refund() {
        if (!settled.compareAndSet(false, true)) {
            return Mono.empty();
        }
        return Flux.fromIterable(holds).flatMap(hold -> safely(hold, hold.held().giveBack(hold.amount()), "refund " + hold.amount())).then();
    }

    private Mono<Void> safely(Hold hold, Mono<Void> operation, String what) {
        return operation.onErrorResume(error -> {
            metrics.settlementFailed();
            log.warn("Could not {} {} to {} ({}); the bucket keeps the reservation", what, hold.bucket().unit().label(), hold.bucket().key(),
                    error.toString());
            return Mono.empty();
        });
    }
}
