package com.llamagateway.simulator;

import java.time.Clock;

/**
 * The simulated deployment's own per-minute limits, counted in fixed one-minute windows as a backend that
 * knows nothing of the gateway would. A limit of 0 means unlimited.
 */
final class MinuteWindowLimiter {

    private final Clock clock;
    private long windowStartMillis;
    private long requests;
    private long tokens;

    MinuteWindowLimiter(Clock clock) {
        this.clock = clock;
    }

    synchronized void clear() {
        windowStartMillis = 0;
        requests = 0;
        tokens = 0;
    }

    /** @return 0 when admitted, else the seconds until the window resets */
    synchronized long tryAdmit(long requestsPerMinute, long tokensPerMinute, long requestTokens) {
        long now = clock.millis();
        if (now - windowStartMillis >= 60_000) {
            windowStartMillis = now - (now % 60_000);
            requests = 0;
            tokens = 0;
        }
        boolean overRequests = requestsPerMinute > 0 && requests + 1 > requestsPerMinute;
        boolean overTokens = tokensPerMinute > 0 && tokens + requestTokens > tokensPerMinute;
        if (overRequests || overTokens) {
            return Math.max(1, (windowStartMillis + 60_000 - now + 999) / 1000);
        }
        requests++;
        tokens += requestTokens;
        return 0;
    }
}
