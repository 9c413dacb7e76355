package com.llamagateway.gateway.quota;

/**
 * A scope's limits per minute, where they come from, and their version.
 *
 * @param tokensPerMinute   null: tokens are not limited in this scope
 * @param requestsPerMinute null: requests are not limited in this scope
 * @param source            {@code config} or {@code admin} (set through the admin API)
 * @param version           orders changes of the limits across replicas: a store keeps the newest version it has
 *                          seen; 0 means "no limit known" and is never stored
 */
public record ScopeLimits(Long tokensPerMinute, Long requestsPerMinute, String source, long version) {

    public static final String CONFIG = "config";
    public static final String ADMIN = "admin";

    /**
     * The largest limit per minute of either unit. Bucket levels are kept in unit-milliseconds as exact integers
     * below 2^53 (Lua's doubles in the Redis scripts) and Bucket4j's 64-bit arithmetic stays exact up to here:
     * 2 × limit × 60,000,000,000 ns &lt; 2^63 (docs/quotas.md, "Exact arithmetic").
     */
    public static final long MAX_PER_MINUTE = 50_000_000L;

    public ScopeLimits {
        check("tokens", tokensPerMinute);
        check("requests", requestsPerMinute);
    }

    /** Why a limit cannot be taken, or null if it can. */
    public static String problem(Long perMinute) {
        return perMinute != null && (perMinute < 1 || perMinute > MAX_PER_MINUTE)
                ? "must be between 1 and " + String.format("%,d", MAX_PER_MINUTE) + " per minute (was " + perMinute + ")" : null;
    }

    private static void check(String unit, Long perMinute) {
        String problem = problem(perMinute);
        if (problem != null) {
            throw new IllegalArgumentException(unit + " " + problem);
        }
    }

    public Long perMinute(Unit unit) {
        return unit == Unit.TOKENS ? tokensPerMinute : requestsPerMinute;
    }

    /** Whether either unit is limited. */
    public boolean limited() {
        return tokensPerMinute != null || requestsPerMinute != null;
    }

    /** The limits scaled down to a share (at least 1 of each limited unit), with the same version. */
    ScopeLimits share(int parts) {
        return new ScopeLimits(tokensPerMinute == null ? null : Math.max(1, tokensPerMinute / parts),
                requestsPerMinute == null ? null : Math.max(1, requestsPerMinute / parts), source, version);
    }

    /** As the Redis scripts read it: {@code "<tokens> <requests> <version>"}, -1 where a unit is not limited. */
    String wire() {
        return (tokensPerMinute == null ? -1 : tokensPerMinute) + " " + (requestsPerMinute == null ? -1 : requestsPerMinute) + " " + version;
    }
}
