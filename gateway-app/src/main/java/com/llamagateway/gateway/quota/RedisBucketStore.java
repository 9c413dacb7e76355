package com.llamagateway.gateway.quota;

import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.VerboseResult;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import reactor.core.publisher.Mono;

import java.time.Duration;

/**
 * Buckets in Redis, shared by every replica (Bucket4j's compare-and-swap on one key per bucket). A bucket keeps its
 * configuration with its state; a newer {@link BucketSpec#version()} replaces it, keeping what was spent, so a limit
 * changed on one replica applies to all at once. Every call fails after {@code timeout}.
 */
public final class RedisBucketStore implements BucketStore {

    private final AsyncProxyManager<String> buckets;
    private final Duration timeout;

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
        return buckets.builder()
                .withImplicitConfigurationReplacement(spec.version(), TokensInheritanceStrategy.ADDITIVE)
                .build(spec.key(), spec.configuration());
    }

    private static long perMinute(VerboseResult<?> result) {
        return result.getConfiguration().getBandwidths()[0].getCapacity();
    }
}
