package com.llamagateway.gateway.quota;

import java.util.ArrayList;
import java.util.List;

/**
 * A scope's limits per minute, where they come from, and their version.
 *
 * @param tokensPerMinute   null: tokens are not limited in this scope
 * @param requestsPerMinute null: requests are not limited in this scope
 * @param source            {@code config} or {@code admin} (set through the admin API)
 * @param version           orders changes of the limits across replicas (see {@link BucketSpec#version()})
 */
public record ScopeLimits(Long tokensPerMinute, Long requestsPerMinute, String source, long version) {

    public static final String CONFIG = "config";
    public static final String ADMIN = "admin";

    public Long perMinute(Unit unit) {
        return unit == Unit.TOKENS ? tokensPerMinute : requestsPerMinute;
    }

    /** One bucket per limited unit. */
    public List<BucketSpec> buckets(Scope scope) {
        List<BucketSpec> buckets = new ArrayList<>(2);
        for (Unit unit : Unit.values()) {
            Long limit = perMinute(unit);
            if (limit != null) {
                buckets.add(new BucketSpec(scope, unit, limit, version));
            }
        }
        return buckets;
    }
}
