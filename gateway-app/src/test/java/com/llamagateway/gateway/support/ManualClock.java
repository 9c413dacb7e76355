package com.llamagateway.gateway.support;

import io.github.bucket4j.TimeMeter;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The buckets' clock, held still by a test so that "what a bucket holds" is exact (no refill between two
 * assertions) and moved on by hand. Registered in a gateway's context, it replaces the system clock.
 */
public final class ManualClock implements TimeMeter {

    private final AtomicLong nanos = new AtomicLong(System.currentTimeMillis() * 1_000_000L);

    @Override
    public long currentTimeNanos() {
        return nanos.get();
    }

    @Override
    public boolean isWallClockBased() {
        return true;
    }

    public void advance(Duration duration) {
        nanos.addAndGet(duration.toNanos());
    }
}
