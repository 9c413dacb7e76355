package com.llamagateway.gateway.quota;

import reactor.core.publisher.Mono;

import java.util.List;

/**
 * Where the buckets live: in this process ({@link MemoryQuotaStore}) or in Redis, shared by every replica
 * ({@link RedisQuotaStore}, behind {@link RedisWithFallback}). Both compute the same numbers: a scope has a tokens
 * bucket and a requests bucket per limited unit, each a Bucket4j-style token bucket refilled continuously at its
 * limit per minute on a millisecond clock (docs/quotas.md).
 *
 * <p>Every operation on one model is atomic: an admission debits the team's buckets and those of one pool member
 * together, or nothing. The scopes' limits are passed as the caller knows them; the store keeps the newest version
 * it has seen of each, and a newer stored version wins over the caller's.
 */
public interface QuotaStore {

    /** How long an admission is remembered for its settlement (and for the same admission asked again). */
    java.time.Duration KEEP_ADMISSIONS = java.time.Duration.ofHours(1);

    /**
     * How long a settled admission is still remembered: a settlement or an admission tried again (a timed-out call's
     * second try, at most {@code 2 × gateway.quota.redis.timeout} later) still finds it. Not longer: every request's
     * admission would otherwise stay for {@link #KEEP_ADMISSIONS}, one record per request of the last hour.
     */
    java.time.Duration KEEP_SETTLED = java.time.Duration.ofSeconds(10);

    /** Admits the request on the team and the first pool member with room, all or nothing. */
    Mono<AdmitAnswer> admit(Admit admit);

    /**
     * Gives back the tokens reserved but not used, or charges those used beyond the reservation (into debt, at most
     * one minute's limit deep); the request stays counted. Only the first settlement or refund of an admission counts.
     */
    Mono<Settled> settle(Held held, long usedTokens);

    /** Gives back everything the admission took: the deployment served nothing. */
    Mono<Settled> refund(Held held);

    /** What the scope's buckets hold now; stores the caller's view of its limits first if that is newer. */
    Mono<Peek> peek(String model, ScopeQuota scope);

    /**
     * Keeps a pool member out of the model's admissions for {@code millis} from now on the store's clock (a
     * deployment asked for it: Retry-After). A later cool-down that ends later extends it; one that ends sooner
     * changes nothing. Admissions that {@linkplain Admit#coolDownsApply ignore cool-downs} may still pick it.
     */
    Mono<Void> coolDown(String model, Scope member, long millis);

    /**
     * One admission.
     *
     * @param id     unique per admission: the same id asked again gets the first answer and debits nothing
     * @param tokens what the request may cost (the request itself costs one request)
     * @param pool   the model's deployments in order of preference
     * @param coolDownsApply false for the one attempt that waited out a member's cool-down already
     */
    record Admit(String id, String model, ScopeQuota team, List<ScopeQuota> pool, long tokens, boolean coolDownsApply) {

        public Admit {
            pool = List.copyOf(pool);
            if (pool.isEmpty()) {
                throw new IllegalArgumentException("an admission needs at least one deployment");
            }
        }

        /** An admission that respects the members' cool-downs. */
        public Admit(String id, String model, ScopeQuota team, List<ScopeQuota> pool, long tokens) {
            this(id, model, team, pool, tokens, true);
        }
    }

    enum Status {
        /** the team and {@code member} took the request */
        ADMITTED,
        /** the team's allowance cannot take it before {@code waitMillis} */
        TEAM_REFUSED,
        /** no member can take it now; {@code member} is the one that can soonest, after {@code waitMillis} */
        NO_ROOM,
        /** the request is larger than the team's allowance */
        TEAM_NEVER_FITS,
        /** the request is larger than every member's capacity; {@code member} is the largest */
        POOL_NEVER_FITS,
        /**
         * no member can take it now, and the one that can soonest is cooling down ({@link #coolDown}) until
         * {@code waitMillis} from now
         */
        COOLING_DOWN
    }

    /**
     * @param member     index into the pool (see {@link Status}); -1 where no member is concerned
     * @param waitMillis how long until the refusing scope can take the request, rounded up (0 when admitted)
     * @param team       the team's buckets: after the admission, or as they are when refused
     * @param memberLevels the member's buckets likewise ({@link Levels#NONE} where no member is concerned)
     * @param held       what to settle: set when admitted
     */
    record AdmitAnswer(Status status, int member, long waitMillis, Levels team, Levels memberLevels, Held held) {
    }

    /**
     * What a scope's buckets hold: whole units left (negative in debt) and the limit, per unit; a limit of -1 means
     * the unit is not limited (and its level is 0).
     */
    record Levels(long tokensLeft, long tokensLimit, long requestsLeft, long requestsLimit) {

        public static final Levels NONE = new Levels(0, -1, 0, -1);

        public boolean limits(Unit unit) {
            return limit(unit) >= 0;
        }

        public long limit(Unit unit) {
            return unit == Unit.TOKENS ? tokensLimit : requestsLimit;
        }

        public long left(Unit unit) {
            return unit == Unit.TOKENS ? tokensLeft : requestsLeft;
        }
    }

    /**
     * @param version the version of the limits the store holds for the scope (0: none)
     */
    record Peek(Levels levels, long version) {
    }

    /**
     * An admission to settle.
     *
     * @param local admitted by this replica's local share while Redis was unavailable
     */
    record Held(String id, String model, Scope team, Scope member, boolean local) {
    }

    enum Settled {
        /** settled now */
        SETTLED,
        /** settled (or refunded) before: nothing changed */
        BEFORE,
        /** the store does not know the admission (expired, or never admitted there) */
        UNKNOWN,
        /** Redis is unavailable: kept, and written when it answers again */
        QUEUED
    }
}
