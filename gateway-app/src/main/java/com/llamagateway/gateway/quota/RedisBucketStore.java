package com.llamagateway.gateway.quota;

import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.VerboseResult;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Buckets in Redis, shared by every replica (Bucket4j's compare-and-swap on one key per bucket). A bucket keeps its
 * configuration with its state; a newer {@link BucketSpec#version()} replaces it, keeping what was spent, so a limit
 * changed on one replica applies to all at once. Every call fails after {@code timeout}.
 *
 * <p>One proxy per bucket is kept and reused, with Bucket4j's batching: concurrent operations of this replica on
 * the same bucket go to Redis together, as one compare-and-swap, instead of each retrying against the others.
 */
public final class RedisBucketStore implements BucketStore {

    private final AsyncProxyManager<String> buckets;
    private final Duration timeout;
    private final Map<String, Proxy> proxies = new ConcurrentHashMap<>();

    private record Proxy(AsyncBucketProxy bucket, long version) {
    }

    public RedisBucketStore(AsyncProxyManager<String> buckets, Duration timeout) {
        this.buckets = buckets;
        this.timeout = timeout;
    }

    @Override
    public Mono<Take> tryTake(BucketSpec spec, long amount) {
        return Mono.fromFuture(() -> proxy(spec).asVerbose().tryConsumeAndReturnRemaining(amount))
                .timeout(timeout)
                .map(result -> {
                    ConsumptionProbe probe = result.getValue();
                    return new Take(probe.isConsumed(), probe.getRemainingTokens(), perMinute(result), probe.getNanosToWaitForRefill(),
                            probe.isConsumed() ? held(spec) : null);
                });
    }

    @Override
    public Mono<Level> level(BucketSpec spec) {
        return Mono.fromFuture(() -> proxy(spec).asVerbose().getAvailableTokens())
                .timeout(timeout)
                .map(result -> new Level(result.getValue(), perMinute(result)));
    }

    private Held held(BucketSpec spec) {
        return new Held() {
            @Override
            public Mono<Void> giveBack(long amount) {
                return Mono.fromFuture(() -> proxy(spec).addTokens(amount)).timeout(timeout);
            }

            @Override
            public Mono<Void> charge(long amount) {
                return Mono.fromFuture(() -> proxy(spec).consumeIgnoringRateLimits(amount)).timeout(timeout).then();
            }
        };
    }

    private AsyncBucketProxy proxy(BucketSpec spec) {
        Proxy known = proxies.get(spec.key());
        if (known != null && known.version() >= spec.version()) {
            return known.bucket();
        }
        return proxies.compute(spec.key(), (key, existing) -> existing != null && existing.version() >= spec.version() ? existing
                : new Proxy(buckets.builder()
                .withImplicitConfigurationReplacement(spec.version(), TokensInheritanceStrategy.ADDITIVE)
                .withOptimization(Optimizations.batching())
                .build(spec.key(), spec.configuration()), spec.version())).bucket();
    }

    private static long perMinute(VerboseResult<?> result) {
        return result.getConfiguration().getBandwidths()[0].getCapacity();
    }
}
