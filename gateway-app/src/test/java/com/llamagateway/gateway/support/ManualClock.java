package com.llamagateway.gateway.support;

import com.llamagateway.gateway.quota.QuotaClock;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The buckets' clock, held still by a test so that "what a bucket holds" is exact (no refill between two
 * assertions) and moved on by hand. Registered in a gateway's context, it replaces the system clock (memory store)
 * and the Redis server's clock (Redis store).
 */
public final class ManualClock implements QuotaClock {

    private final AtomicLong millis = new AtomicLong(System.currentTimeMillis());

    @Override
    public long currentTimeMillis() {
        return millis.get();
    }

    public void advance(Duration duration) {
        millis.addAndGet(duration.toMillis());
    }
}
