package com.llamagateway.gateway.quota;

import com.llamagateway.gateway.quota.QuotaStore.Levels;

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

    /** An admitted request: per unit, of the team and the deployment, the one with the least left after it. */
    static Map<String, String> admitted(Levels team, Levels deployment) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Unit unit : Unit.values()) {
            Levels least = !team.limits(unit) ? deployment
                    : !deployment.limits(unit) || team.left(unit) <= deployment.left(unit) ? team : deployment;
            if (least.limits(unit)) {
                limitAndRemaining(headers, unit, least);
            }
        }
        return headers;
    }

    /** A refusal by one scope: its buckets as they are without the request, and the wait until they fit it. */
    static Map<String, String> refused(Levels scope, long waitMillis) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Retry-After", Long.toString(Math.max(1, -Math.floorDiv(-waitMillis, 1000))));
        headers.put("retry-after-ms", Long.toString(Math.max(1, waitMillis)));
        for (Unit unit : Unit.values()) {
            if (scope.limits(unit)) {
                limitAndRemaining(headers, unit, scope);
            }
        }
        return headers;
    }

    private static void limitAndRemaining(Map<String, String> headers, Unit unit, Levels levels) {
        headers.put("x-ratelimit-limit-" + unit.label(), Long.toString(levels.limit(unit)));
        headers.put("x-ratelimit-remaining-" + unit.label(), Long.toString(Math.max(0, levels.left(unit))));
    }
}
