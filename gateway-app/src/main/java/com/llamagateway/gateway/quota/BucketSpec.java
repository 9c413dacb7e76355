package com.llamagateway.gateway.quota;

import io.github.bucket4j.BucketConfiguration;

import java.time.Duration;

/**
 * One bucket: a scope's limit on one unit. The bucket holds up to {@code perMinute} and refills continuously at
 * {@code perMinute} per minute (a token bucket, so there is no burst of twice the limit at a window's edge).
 *
 * @param version orders limit changes: a store holding an older version replaces its configuration with this one,
 *                keeping what was already spent; a newer stored version wins over this one
 */
public record BucketSpec(Scope scope, Unit unit, long perMinute, long version) {

    public BucketSpec {
        if (perMinute < 1) {
            throw new IllegalArgumentException("a bucket holds at least 1");
        }
    }

    public String key() {
        return scope.key(unit);
    }

    BucketConfiguration configuration() {
        return BucketConfiguration.builder()
                .addLimit(limit -> limit.capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1)).id("per-minute"))
                .build();
    }
}
