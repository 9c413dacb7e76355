package com.llamagateway.gateway.quota;

import com.llamagateway.gateway.config.GatewayProperties.FailurePolicy;
import com.llamagateway.gateway.config.GatewayProperties.OnFailure;
import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Redis store, and what each scope does while Redis does not answer (docs/quotas.md, "When Redis fails"):
 * {@code local-share} admits from a bucket in this replica holding {@code 1/replicas} of the limit; {@code reject}
 * refuses with 503. After a failure Redis is left alone for {@code retryInterval}, so requests do not each wait for
 * a timeout; the first call after it that succeeds ends the fallback. Each transition is logged once; every failure
 * is counted.
 */
public final class RedisWithFallback implements BucketStore {

    private static final Logger log = LoggerFactory.getLogger(RedisWithFallback.class);

    private final BucketStore redis;
    private final MemoryBucketStore local;
    private final int replicas;
    private final OnFailure onFailure;
    private final long retryIntervalNanos;
    private final QuotaMetrics metrics;
    private final AtomicBoolean degraded = new AtomicBoolean();
    private final AtomicLong retryAt = new AtomicLong();

    public RedisWithFallback(BucketStore redis, MemoryBucketStore local, int replicas, OnFailure onFailure, Duration retryInterval,
                             QuotaMetrics metrics) {
        this.redis = redis;
        this.local = local;
        this.replicas = Math.max(1, replicas);
        this.onFailure = onFailure;
        this.retryIntervalNanos = retryInterval.toNanos();
        this.metrics = metrics;
    }

    @Override
    public Mono<Take> tryTake(BucketSpec spec, long amount) {
        if (resting()) {
            return fallback(spec, amount);
        }
        return redis.tryTake(spec, amount)
                .doOnNext(take -> answered())
                .onErrorResume(error -> {
                    failed(error);
                    return fallback(spec, amount);
                });
    }

    /** Fails while Redis does not answer: the admin views then show no level rather than a local guess. */
    @Override
    public Mono<Level> level(BucketSpec spec) {
        if (resting()) {
            return Mono.error(unavailable(spec.scope()));
        }
        return redis.level(spec)
                .doOnNext(level -> answered())
                .onErrorResume(error -> {
                    failed(error);
                    return Mono.error(unavailable(spec.scope()));
                });
    }

    public boolean degraded() {
        return degraded.get();
    }

    private Mono<Take> fallback(BucketSpec spec, long amount) {
        FailurePolicy policy = spec.scope().kind() == Scope.Kind.TEAM ? onFailure.team() : onFailure.deployment();
        if (policy == FailurePolicy.REJECT) {
            return Mono.error(unavailable(spec.scope()));
        }
        BucketSpec share = new BucketSpec(spec.scope(), spec.unit(), Math.max(1, spec.perMinute() / replicas), spec.version());
        return local.tryTake(share, amount);
    }

    private boolean resting() {
        return degraded.get() && System.nanoTime() - retryAt.get() < 0;
    }

    private void answered() {
        if (degraded.compareAndSet(true, false)) {
            metrics.degraded(false);
            log.info("Redis quota store answers again: buckets are shared by every replica again");
        }
    }

    private void failed(Throwable error) {
        metrics.storeFailed();
        retryAt.set(System.nanoTime() + retryIntervalNanos);
        if (degraded.compareAndSet(false, true)) {
            metrics.degraded(true);
            log.warn("Redis quota store does not answer ({}): deployment capacity {}, team allowances {}, until it answers again",
                    describe(error), describe(onFailure.deployment()), describe(onFailure.team()));
        }
    }

    private String describe(FailurePolicy policy) {
        return policy == FailurePolicy.REJECT ? "refused (503)" : "admitted from 1/" + replicas + " of the limit on each replica";
    }

    private static String describe(Throwable error) {
        return error instanceof java.util.concurrent.TimeoutException ? "timed out" : error.getClass().getSimpleName() + ": " + error.getMessage();
    }

    private static GatewayError unavailable(Scope scope) {
        return new GatewayError(HttpStatus.SERVICE_UNAVAILABLE, ErrorCode.QUOTA_UNAVAILABLE,
                "The gateway cannot check the " + scope.kind().label() + " quota right now; retry shortly.", null,
                Map.of("Retry-After", "1"));
    }
}
