package com.llamagateway.gateway.quota;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.local.SynchronizationStrategy;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The buckets in this process, one Bucket4j bucket per scope and limited unit: exact for one replica, and the local
 * share of {@link RedisWithFallback} while Redis is unavailable. Every operation holds its model's lock and reads the
 * clock once, so an admission sees one instant and debits the team and one pool member together or not at all —
 * what the Redis scripts do in one call, with the same numbers (the differential test compares them).
 */
public final class MemoryQuotaStore implements QuotaStore {

    /** What a scope's new bucket starts with; by default it is full. */
    @FunctionalInterface
    public interface Seed {

        long initialTokens(String model, Scope scope, Unit unit, long capacity);

        Seed FULL = (model, scope, unit, capacity) -> capacity;
    }

    private final LongSupplier clock;
    private final Seed seed;
    /** When admissions are forgotten: a monotonic clock, apart from the buckets' (which tests hold still) */
    private final LongSupplier nanoTime;
    private final Map<String, Model> models = new ConcurrentHashMap<>();

    /** The system clock, full new buckets. */
    public MemoryQuotaStore() {
        this(System::currentTimeMillis, Seed.FULL);
    }

    public MemoryQuotaStore(LongSupplier clockMillis, Seed seed) {
        this(clockMillis, seed, System::nanoTime);
    }

    MemoryQuotaStore(LongSupplier clockMillis, Seed seed, LongSupplier nanoTime) {
        this.clock = clockMillis;
        this.seed = seed;
        this.nanoTime = nanoTime;
    }

    private record StoredLimits(long tokensPerMinute, long requestsPerMinute, long version) {

        static final StoredLimits NONE = new StoredLimits(-1, -1, 0);

        static StoredLimits of(ScopeLimits limits) {
            return new StoredLimits(limits.tokensPerMinute() == null ? -1 : limits.tokensPerMinute(),
                    limits.requestsPerMinute() == null ? -1 : limits.requestsPerMinute(), limits.version());
        }

        long limit(Unit unit) {
            return unit == Unit.TOKENS ? tokensPerMinute : requestsPerMinute;
        }
    }

    /** One unit's bucket and the limit it is kept under. */
    private record UnitBucket(Bucket bucket, long limit) {
    }

    /** An admission, kept for its settlement. */
    private static final class Admitted {
        final long tokens;
        /** which buckets it debited: team tokens, team requests, member tokens, member requests */
        final boolean[] debited;
        final AdmitAnswer answer;
        long expiresAtNanos;
        boolean done;

        Admitted(long tokens, boolean[] debited, AdmitAnswer answer, long expiresAtNanos) {
            this.tokens = tokens;
            this.debited = debited;
            this.answer = answer;
            this.expiresAtNanos = expiresAtNanos;
        }
    }

    /** A model's scopes: what Redis keeps under the model's hash tag. Guarded by its own lock. */
    private final class Model {
        final String name;
        /** the instant of the operation in progress: Bucket4j reads it as its clock */
        long now;
        final TimeMeter meter = new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                return now * 1_000_000L;
            }

            @Override
            public boolean isWallClockBased() {
                return true;
            }
        };
        final Map<String, StoredLimits> limits = new HashMap<>();
        final Map<String, UnitBucket[]> buckets = new HashMap<>();
        /** Admissions not settled yet, oldest first: each kept {@link QuotaStore#KEEP_ADMISSIONS} (a stream may last that long). */
        final LinkedHashMap<String, Admitted> pending = new LinkedHashMap<>();
        /** Settled admissions in the order they were settled, each kept {@link QuotaStore#KEEP_SETTLED}. */
        final LinkedHashMap<String, Admitted> settled = new LinkedHashMap<>();
        /** member field → the end of its cool-down (ms, the store's clock) */
        final Map<String, Long> coolingUntil = new HashMap<>();

        /** How long the member is cooling down still (ms; 0: not). */
        long cooling(Scope member) {
            Long until = coolingUntil.get(member.field()); // kept when over, as Redis keeps the key a while: a clock stepped back sees it
            return until == null || until <= now ? 0 : until - now;
        }

        Model(String name) {
            this.name = name;
        }

        /** The stored limits, unless the caller's view is newer (then it is stored). */
        StoredLimits limits(Scope scope, ScopeLimits view) {
            StoredLimits stored = limits.getOrDefault(scope.field(), StoredLimits.NONE);
            if (view != null && view.version() > stored.version()) {
                stored = StoredLimits.of(view);
                limits.put(scope.field(), stored);
            }
            return stored;
        }

        /** The scope's buckets under its current limits: a changed limit is applied the way Bucket4j replaces one. */
        UnitBucket[] touch(Scope scope, StoredLimits current) {
            UnitBucket[] units = buckets.computeIfAbsent(scope.field(), f -> new UnitBucket[2]);
            for (Unit unit : Unit.values()) {
                int i = unit.ordinal();
                long limit = current.limit(unit);
                if (limit < 0) {
                    units[i] = null;
                } else if (units[i] == null) {
                    long initial = Math.max(0, Math.min(limit, seed.initialTokens(name, scope, unit, limit)));
                    units[i] = new UnitBucket(Bucket.builder().addLimit(limit(limit, initial)).withCustomTimePrecision(meter)
                            .withSynchronizationStrategy(SynchronizationStrategy.NONE).build(), limit);
                } else if (units[i].limit() != limit) {
                    units[i].bucket().replaceConfiguration(BucketConfiguration.builder().addLimit(limit(limit, limit)).build(),
                            TokensInheritanceStrategy.ADDITIVE);
                    units[i] = new UnitBucket(units[i].bucket(), limit);
                }
            }
            if (units[0] == null && units[1] == null) {
                buckets.remove(scope.field());
            }
            return units;
        }

        Admitted admission(String id) {
            Admitted admitted = pending.get(id);
            return admitted != null ? admitted : settled.get(id);
        }

        void settle(String id, Admitted admitted, long nowNanos) {
            admitted.done = true;
            admitted.expiresAtNanos = nowNanos + KEEP_SETTLED.toNanos();
            pending.remove(id);
            settled.put(id, admitted);
        }

        void expireAdmissions(long nowNanos) {
            expire(pending, nowNanos);
            expire(settled, nowNanos);
        }

        /** Each map holds its admissions in the order they expire. */
        private static void expire(LinkedHashMap<String, Admitted> admissions, long nowNanos) {
            Iterator<Admitted> oldest = admissions.values().iterator();
            while (oldest.hasNext() && oldest.next().expiresAtNanos - nowNanos <= 0) {
                oldest.remove();
            }
        }
    }

    private static io.github.bucket4j.Bandwidth limit(long perMinute, long initial) {
        return io.github.bucket4j.Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1))
                .id("per-minute").initialTokens(initial).build();
    }

    private <T> Mono<T> locked(String model, java.util.function.Function<Model, T> operation) {
        return Mono.fromSupplier(() -> {
            Model state = models.computeIfAbsent(model, Model::new);
            synchronized (state) {
                state.now = clock.getAsLong();
                return operation.apply(state);
            }
        });
    }

    @Override
    public Mono<AdmitAnswer> admit(Admit admit) {
        return locked(admit.model(), model -> {
            model.expireAdmissions(nanoTime.getAsLong());
            Admitted prior = model.admission(admit.id());
            if (prior != null) {
                return prior.answer;
            }
            long n = admit.tokens();
            Scope team = admit.team().scope();
            StoredLimits teamLimits = model.limits(team, admit.team().limits());
            List<StoredLimits> memberLimits = admit.pool().stream().map(m -> model.limits(m.scope(), m.limits())).toList();

            UnitBucket[] teamBuckets = model.touch(team, teamLimits);
            Check teamCheck = check(teamBuckets, n);
            if (teamCheck.never || teamCheck.waitMillis > 0) {
                return new AdmitAnswer(teamCheck.never ? Status.TEAM_NEVER_FITS : Status.TEAM_REFUSED, -1, teamCheck.waitMillis,
                        levels(teamBuckets), Levels.NONE, null);
            }
            int soonest = -1;
            long soonestWait = -1;
            boolean soonestCooling = false;
            int largest = -1;
            long largestLimit = -2;
            Levels[] seen = new Levels[admit.pool().size()];
            for (int i = 0; i < admit.pool().size(); i++) {
                Scope member = admit.pool().get(i).scope();
                UnitBucket[] memberBuckets = model.touch(member, memberLimits.get(i));
                Check memberCheck = check(memberBuckets, n);
                long cooling = admit.coolDownsApply() ? model.cooling(member) : 0;
                boolean cooled = cooling > 0 && cooling >= memberCheck.waitMillis;
                if (cooled) {
                    memberCheck = new Check(memberCheck.never, cooling);
                }
                if (!memberCheck.never && memberCheck.waitMillis == 0) {
                    boolean[] debited = {debit(teamBuckets[0], n), debit(teamBuckets[1], 1), debit(memberBuckets[0], n), debit(memberBuckets[1], 1)};
                    Held held = new Held(admit.id(), admit.model(), team, member, false);
                    AdmitAnswer answer = new AdmitAnswer(Status.ADMITTED, i, 0, levels(teamBuckets), levels(memberBuckets), held);
                    model.pending.put(admit.id(), new Admitted(n, debited, answer, nanoTime.getAsLong() + KEEP_ADMISSIONS.toNanos()));
                    return answer;
                }
                seen[i] = levels(memberBuckets);
                if (!memberCheck.never && (soonestWait < 0 || memberCheck.waitMillis < soonestWait)) {
                    soonest = i;
                    soonestWait = memberCheck.waitMillis;
                    soonestCooling = cooled;
                }
                if (seen[i].tokensLimit() > largestLimit) {
                    largest = i;
                    largestLimit = seen[i].tokensLimit();
                }
            }
            return soonest < 0
                    ? new AdmitAnswer(Status.POOL_NEVER_FITS, largest, 0, levels(teamBuckets), seen[largest], null)
                    : new AdmitAnswer(soonestCooling ? Status.COOLING_DOWN : Status.NO_ROOM, soonest, soonestWait, levels(teamBuckets),
                    seen[soonest], null);
        });
    }

    @Override
    public Mono<Void> coolDown(String model, Scope member, long millis) {
        return locked(model, state -> {
            state.coolingUntil.merge(member.field(), state.now + millis, Math::max);
            return Boolean.TRUE;
        }).then();
    }

    private record Check(boolean never, long waitMillis) {
    }

    /** Whether the scope could ever take {@code tokens} and one request, and how long until it can (ms, rounded up). */
    private static Check check(UnitBucket[] buckets, long tokens) {
        boolean never = false;
        long wait = 0;
        for (Unit unit : Unit.values()) {
            UnitBucket b = buckets[unit.ordinal()];
            long amount = unit == Unit.TOKENS ? tokens : 1;
            if (b == null) {
                continue;
            }
            if (amount > b.limit()) {
                never = true;
            } else if (b.bucket().getAvailableTokens() < amount) {
                long nanos = amount == 0 ? nanosToLeaveDebt(b) : b.bucket().estimateAbilityToConsume(amount).getNanosToWaitForRefill();
                wait = Math.max(wait, -Math.floorDiv(-nanos, 1_000_000L));
            }
        }
        return new Check(never, wait);
    }

    /**
     * How long until a bucket in debt is back at zero: what Bucket4j's wait for {@code n} tokens is, for the
     * {@code n = 0} it does not take (a request-only admission's tokens, see {@link Admission#admitRequest}). The
     * bucket holds its level in token-nanoseconds of a minute's refill (size × period + rounding error); the wait is
     * the deficit over the limit, as Bucket4j computes it.
     */
    private static long nanosToLeaveDebt(UnitBucket b) {
        io.github.bucket4j.BucketState state = b.bucket().asVerbose().getAvailableTokens().getState();
        long deficit = -(state.getCurrentSize(0) * Duration.ofMinutes(1).toNanos() + state.getRoundingError(0));
        return deficit / b.limit();
    }

    private static boolean debit(UnitBucket b, long amount) {
        if (b == null) {
            return false;
        }
        if (amount == 0) {
            return true; // a request-only admission: nothing taken, what it used is charged when it is settled
        }
        if (!b.bucket().tryConsume(amount)) {
            throw new IllegalStateException("a bucket that had room refused");
        }
        return true;
    }

    private static Levels levels(UnitBucket[] buckets) {
        UnitBucket tokens = buckets[0];
        UnitBucket requests = buckets[1];
        return new Levels(tokens == null ? 0 : tokens.bucket().getAvailableTokens(), tokens == null ? -1 : tokens.limit(),
                requests == null ? 0 : requests.bucket().getAvailableTokens(), requests == null ? -1 : requests.limit());
    }

    @Override
    public Mono<Settled> settle(Held held, long usedTokens) {
        return finish(held, usedTokens, false);
    }

    @Override
    public Mono<Settled> refund(Held held) {
        return finish(held, 0, true);
    }

    private Mono<Settled> finish(Held held, long usedTokens, boolean refund) {
        return locked(held.model(), model -> {
            Admitted admitted = model.admission(held.id());
            if (admitted == null) {
                return Settled.UNKNOWN;
            }
            if (admitted.done) {
                return Settled.BEFORE;
            }
            model.settle(held.id(), admitted, nanoTime.getAsLong());
            Scope[] scopes = {admitted.answer.held().team(), admitted.answer.held().member()};
            for (int s = 0; s < 2; s++) {
                UnitBucket[] buckets = model.touch(scopes[s], model.limits(scopes[s], null));
                // only the buckets this admission debited (a unit limited since then holds nothing of it)
                UnitBucket tokens = admitted.debited[2 * s] ? buckets[0] : null;
                UnitBucket requests = admitted.debited[2 * s + 1] ? buckets[1] : null;
                if (refund) {
                    give(tokens, admitted.tokens);
                    give(requests, 1);
                } else if (tokens != null) {
                    long extra = usedTokens - admitted.tokens;
                    if (extra < 0) {
                        give(tokens, -extra);
                    } else if (extra > 0) {
                        intoDebt(tokens, extra);
                    }
                }
            }
            return Settled.SETTLED;
        });
    }

    private static void give(UnitBucket b, long amount) {
        if (b != null && amount > 0) {
            b.bucket().addTokens(amount);
        }
    }

    /** Usage that already happened: charged even into debt, down to minus one minute's limit at most. */
    private static void intoDebt(UnitBucket b, long amount) {
        long charged = Math.min(amount, b.bucket().getAvailableTokens() + b.limit());
        if (charged > 0) {
            b.bucket().consumeIgnoringRateLimits(charged);
        }
    }

    @Override
    public Mono<Peek> peek(String model, ScopeQuota scope) {
        return locked(model, state -> {
            StoredLimits limits = state.limits(scope.scope(), scope.limits());
            return new Peek(levels(state.touch(scope.scope(), limits)), limits.version());
        });
    }

    /**
     * Charges units used outside the store, into debt as a settlement does; limits as {@link #peek}. What
     * {@link RedisQuotaStore#charge} does with a local share's admissions once Redis is back, here the reference the
     * differential test holds the script to.
     */
    Mono<Void> charge(String model, ScopeQuota scope, long tokens, long requests) {
        return locked(model, state -> {
            UnitBucket[] buckets = state.touch(scope.scope(), state.limits(scope.scope(), scope.limits()));
            long[] amounts = {tokens, requests};
            for (Unit unit : Unit.values()) {
                UnitBucket b = buckets[unit.ordinal()];
                long amount = amounts[unit.ordinal()];
                if (b != null && amount > 0) {
                    intoDebt(b, amount);
                }
            }
            return Boolean.TRUE;
        }).then();
    }

    /** For tests: how many admissions of the model are remembered, settled or not. */
    int remembered(String model) {
        Model state = models.get(model);
        if (state == null) {
            return 0;
        }
        synchronized (state) {
            return state.pending.size() + state.settled.size();
        }
    }

    /**
     * For tests: each unit's exact level in unit-milliseconds (Bucket4j's size × 60,000 + its rounding error in ms)
     * and its limit, {tokens level, tokens limit, requests level, requests limit}; null where a unit has no bucket.
     */
    Long[] exactLevels(String model, Scope scope) {
        Model state = models.get(model);
        if (state == null) {
            return new Long[4];
        }
        synchronized (state) {
            state.now = clock.getAsLong();
            UnitBucket[] units = state.buckets.getOrDefault(scope.field(), new UnitBucket[2]);
            Long[] out = new Long[4];
            for (int i = 0; i < 2; i++) {
                if (units[i] != null) {
                    io.github.bucket4j.BucketState bucketState = units[i].bucket().asVerbose().getAvailableTokens().getState();
                    out[2 * i] = bucketState.getCurrentSize(0) * 60_000L + bucketState.getRoundingError(0) / 1_000_000L;
                    out[2 * i + 1] = units[i].limit();
                }
            }
            return out;
        }
    }
}
