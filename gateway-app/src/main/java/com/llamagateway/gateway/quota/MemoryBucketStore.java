package com.llamagateway.gateway.quota;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.TokensInheritanceStrategy;
import reactor.core.publisher.Mono;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Buckets in this process: exact for one replica, and the fallback of {@link RedisBucketStore}. */
public final class MemoryBucketStore implements BucketStore {

    private final TimeMeter clock;
    private final Map<String, Versioned> buckets = new ConcurrentHashMap<>();

    private record Versioned(Bucket bucket, long version, long perMinute) {
    }

    public MemoryBucketStore(TimeMeter clock) {
        this.clock = clock;
    }

    @Override
    public Mono<Take> tryTake(BucketSpec spec, long amount) {
        return Mono.fromSupplier(() -> {
            Versioned versioned = bucket(spec);
            ConsumptionProbe probe = versioned.bucket().tryConsumeAndReturnRemaining(amount);
            return new Take(probe.isConsumed(), probe.getRemainingTokens(), versioned.perMinute(), probe.getNanosToWaitForRefill(),
                    probe.isConsumed() ? held(versioned.bucket()) : null);
        });
    }

    @Override
    public Mono<Level> level(BucketSpec spec) {
        return Mono.fromSupplier(() -> {
            Versioned versioned = bucket(spec);
            return new Level(versioned.bucket().getAvailableTokens(), versioned.perMinute());
        });
    }

    private static Held held(Bucket bucket) {
        return new Held() {
            @Override
            public Mono<Void> giveBack(long amount) {
                return Mono.fromRunnable(() -> bucket.addTokens(amount));
            }

            @Override
            public Mono<Void> charge(long amount) {
                return Mono.fromRunnable(() -> bucket.consumeIgnoringRateLimits(amount));
            }
        };
    }

    private Versioned bucket(BucketSpec spec) {
        Versioned current = buckets.get(spec.key());
        if (current != null && current.version() >= spec.version()) {
            return current;
        }
        return buckets.compute(spec.key(), (key, existing) -> {
            if (existing == null) {
                return new Versioned(Bucket.builder().addLimit(spec.configuration().getBandwidths()[0])
                        .withCustomTimePrecision(clock).build(), spec.version(), spec.perMinute());
            }
            if (existing.version() < spec.version()) {
                // what was spent stays spent: the new size minus what the old one had used
                existing.bucket().replaceConfiguration(spec.configuration(), TokensInheritanceStrategy.ADDITIVE);
                return new Versioned(existing.bucket(), spec.version(), spec.perMinute());
            }
            return existing;
        });
    }
}
