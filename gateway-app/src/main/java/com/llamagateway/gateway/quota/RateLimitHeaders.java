package com.llamagateway.gateway.quota;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The rate-limit headers of the contract: {@code x-ratelimit-limit-requests}, {@code x-ratelimit-remaining-requests},
 * {@code x-ratelimit-limit-tokens}, {@code x-ratelimit-remaining-tokens}, and on a refusal {@code Retry-After}
 * (whole seconds, rounded up) and {@code retry-after-ms}.
 */
final class RateLimitHeaders {

    private RateLimitHeaders() {
    }

    /** An admitted request: per unit, the bucket with the least left after it. */
    static Map<String, String> admitted(Collection<Attempt> attempts) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Unit unit : Unit.values()) {
            attempts.stream().filter(a -> a.bucket().unit() == unit)
                    .min((a, b) -> Long.compare(a.take().remaining(), b.take().remaining()))
                    .ifPresent(a -> limitAndRemaining(headers, unit, a.take().perMinute(), Math.max(0, a.take().remaining())));
        }
        return headers;
    }

    /** A refusal by one scope: its buckets as they are without the request, and the wait until all of them fit it. */
    static Map<String, String> refused(Collection<Attempt> scopeAttempts) {
        Map<String, String> headers = new LinkedHashMap<>();
        long waitNanos = waitNanos(scopeAttempts);
        headers.put("Retry-After", Long.toString(Math.max(1, ceilDiv(waitNanos, 1_000_000_000L))));
        headers.put("retry-after-ms", Long.toString(Math.max(1, ceilDiv(waitNanos, 1_000_000L))));
        for (Attempt attempt : scopeAttempts) {
            limitAndRemaining(headers, attempt.bucket().unit(), attempt.take().perMinute(), attempt.remainingWithout());
        }
        return headers;
    }

    static long waitNanos(Collection<Attempt> scopeAttempts) {
        return scopeAttempts.stream().filter(Attempt::refused).mapToLong(a -> a.take().nanosToWait()).max().orElse(0);
    }

    private static void limitAndRemaining(Map<String, String> headers, Unit unit, long limit, long remaining) {
        headers.put("x-ratelimit-limit-" + unit.label(), Long.toString(limit));
        headers.put("x-ratelimit-remaining-" + unit.label(), Long.toString(remaining));
    }

    private static long ceilDiv(long value, long divisor) {
        return value / divisor + (value % divisor == 0 ? 0 : 1);
    }
}
