package com.llamagateway.gateway.quota;

import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.reactive.Timeouts;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.HttpStatus;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The Redis store, and what happens while Redis is unavailable (docs/quotas.md, "When Redis fails").
 *
 * <ul>
 *   <li><b>Timeouts that follow Redis</b>: a call's first try waits four times the 99th percentile of the last 256
 *       calls' latency (the whole {@code timeout} until 64 were seen), between {@code min-timeout} and
 *       {@code timeout}; a try that timed out or failed is made once more with the same admission id (so it cannot
 *       debit twice) and {@code timeout}.</li>
 *   <li><b>A breaker decides that Redis is unavailable</b> (Resilience4j: failure rate over a time window), never
 *       one slow call. A call that fails while the breaker is closed affects that request only.</li>
 *   <li><b>While unavailable</b> each scope follows its policy: {@code reject} (teams, by default) answers 503
 *       {@code quota_unavailable}; {@code local-share} (deployments) admits from buckets in this replica holding
 *       1/N of the limit, N the replicas seen alive (at least {@code replicas}), each starting from 1/N of the level
 *       Redis last reported for the scope rather than full.</li>
 *   <li><b>When Redis answers again</b> what was admitted locally is charged to the Redis buckets, and settlements
 *       that could not be written are written, so the shared buckets end where one bucket would have.</li>
 * </ul>
 */
public final class RedisWithFallback implements QuotaStore, SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(RedisWithFallback.class);
    private static final int MAX_QUEUED_SETTLEMENTS = 10_000;
    private static final Duration WARN_INTERVAL = Duration.ofSeconds(10);

    private final RedisQuotaStore redis;
    private final QuotaProperties.Redis config;
    private final QuotaClock clock;
    private final QuotaMetrics metrics;
    private final CircuitBreaker breaker;
    private final String replicaId = UUID.randomUUID().toString();
    private final AtomicInteger liveReplicas = new AtomicInteger();
    private final AtomicLong firstTryTimeoutNanos;
    private final AtomicLong lastWarned = new AtomicLong();
    private final Latencies latencies = new Latencies(256);
    /** model + scope field → the levels Redis last reported, and when (this replica's clock, ms) */
    private final Map<String, Reported> reported = new ConcurrentHashMap<>();
    private final Queue<Pending> pending = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pendingCount = new AtomicInteger();
    private volatile LocalShare local;
    private volatile Disposable ticker;

    private record Reported(Levels levels, long atMillis) {
    }

    /** A settlement Redis did not take, to write when it answers again. */
    private record Pending(Held held, long usedTokens, boolean refund) {
    }

    public RedisWithFallback(RedisQuotaStore redis, QuotaProperties.Redis config, QuotaClock clock, QuotaMetrics metrics) {
        this.redis = redis;
        this.config = config;
        this.clock = clock != null ? clock : System::currentTimeMillis;
        this.metrics = metrics;
        this.firstTryTimeoutNanos = new AtomicLong(config.timeout().toNanos());
        QuotaProperties.Breaker b = config.breaker();
        this.breaker = CircuitBreaker.of("quota-redis", CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(b.window())
                .minimumNumberOfCalls(b.minimumCalls())
                .failureRateThreshold(b.failureRate())
                // a call is slow only when it failed: the timeouts bound it already
                .slowCallDurationThreshold(config.timeout().multipliedBy(4))
                .slowCallRateThreshold(100)
                .waitDurationInOpenState(config.retryInterval())
                .permittedNumberOfCallsInHalfOpenState(3)
                .build());
        breaker.getEventPublisher().onStateTransition(event -> transitioned(event.getStateTransition().getFromState(),
                event.getStateTransition().getToState()));
        metrics.storeState(() -> breaker.getState() == CircuitBreaker.State.CLOSED ? 0 : 1, liveReplicas::get,
                () -> firstTryTimeoutNanos.get() / 1_000_000.0);
    }

    // ------------------------------------------------------------------ the store's operations

    @Override
    public Mono<AdmitAnswer> admit(Admit admit) {
        return guarded(() -> redis.admit(admit).doOnNext(answer -> {
            long now = clock.currentTimeMillis();
            reported.put(key(admit.model(), admit.team().scope()), new Reported(answer.team(), now));
            if (answer.member() >= 0) {
                reported.put(key(admit.model(), admit.pool().get(answer.member()).scope()), new Reported(answer.memberLevels(), now));
            }
        }), error -> local(admit));
    }

    @Override
    public Mono<Settled> settle(Held held, long usedTokens) {
        return finish(new Pending(held, usedTokens, false));
    }

    @Override
    public Mono<Settled> refund(Held held) {
        return finish(new Pending(held, 0, true));
    }

    private Mono<Settled> finish(Pending settlement) {
        Held held = settlement.held();
        if (held.local()) {
            LocalShare share = local;
            return share == null ? Mono.just(Settled.UNKNOWN) : share.finish(settlement);
        }
        return guarded(() -> write(settlement), error -> {
            queue(settlement);
            return Mono.just(Settled.QUEUED);
        });
    }

    private Mono<Settled> write(Pending settlement) {
        return settlement.refund() ? redis.refund(settlement.held()) : redis.settle(settlement.held(), settlement.usedTokens());
    }

    /** Fails while Redis is unavailable: the admin views then show no level rather than a local guess. */
    @Override
    public Mono<Peek> peek(String model, ScopeQuota scope) {
        return guarded(() -> redis.peek(model, scope)
                        .doOnNext(peek -> reported.put(key(model, scope.scope()), new Reported(peek.levels(), clock.currentTimeMillis()))),
                error -> Mono.error(unavailable(scope.scope().kind())));
    }

    /** In Redis, for every replica; in this replica's local share while Redis is unavailable. */
    @Override
    public Mono<Void> coolDown(String model, Scope member, long millis) {
        return guarded(() -> redis.coolDown(model, member, millis).thenReturn(Boolean.TRUE),
                error -> localShare().store.coolDown(model, member, millis).thenReturn(Boolean.FALSE)).then();
    }

    /** Whether Redis counts as unavailable now (the breaker is not closed). */
    public boolean degraded() {
        return breaker.getState() != CircuitBreaker.State.CLOSED;
    }

    // ------------------------------------------------------------------ calls through the breaker

    /**
     * One call: refused at once while the breaker is open; else tried, and on a timeout or failure tried once more;
     * the outcome of both tries is one call for the breaker. {@code fallback} answers for this request when the
     * call is not permitted or fails.
     */
    private <T> Mono<T> guarded(Supplier<Mono<T>> call, Function<Throwable, Mono<T>> fallback) {
        return Mono.defer(() -> {
            if (!breaker.tryAcquirePermission()) {
                return fallback.apply(null);
            }
            long started = System.nanoTime();
            AtomicBoolean recorded = new AtomicBoolean();
            return Timeouts.within(call.get(), Duration.ofNanos(firstTryTimeoutNanos.get()), "no answer from Redis")
                    .onErrorResume(first -> {
                        metrics.storeRetried();
                        return Timeouts.within(call.get(), config.timeout(), "no answer from Redis");
                    })
                    .doOnNext(value -> {
                        if (recorded.compareAndSet(false, true)) {
                            long nanos = System.nanoTime() - started;
                            breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
                            latencies.add(nanos);
                            metrics.storeCall("ok", nanos);
                        }
                    })
                    .onErrorResume(error -> {
                        if (recorded.compareAndSet(false, true)) {
                            long nanos = System.nanoTime() - started;
                            breaker.onError(nanos, TimeUnit.NANOSECONDS, error);
                            metrics.storeCall(error instanceof java.util.concurrent.TimeoutException ? "timeout" : "error", nanos);
                            metrics.storeFailed();
                            warnNowAndThen(error);
                        }
                        return fallback.apply(error);
                    })
                    .doOnCancel(() -> {
                        if (recorded.compareAndSet(false, true)) {
                            breaker.releasePermission();
                        }
                    });
        });
    }

    /** A failed call is logged once in a while: the breaker and the metrics tell the rest. */
    private void warnNowAndThen(Throwable error) {
        long now = System.nanoTime();
        long last = lastWarned.get();
        if ((last == 0 || now - last > WARN_INTERVAL.toNanos()) && lastWarned.compareAndSet(last, now)) {
            log.warn("A Redis quota call failed ({}); that request followed the failure policy. Redis counts as unavailable only when "
                    + "the breaker opens (breaker {}, failure rate {})", describe(error), breaker.getState(),
                    String.format("%.0f%%", breaker.getMetrics().getFailureRate()), error);
        }
    }

    /** Logged when Redis becomes unavailable and when it is back; probes that fail in between are only counted. */
    private void transitioned(CircuitBreaker.State from, CircuitBreaker.State to) {
        metrics.breakerTransition(to.name().toLowerCase(java.util.Locale.ROOT));
        if (to == CircuitBreaker.State.OPEN && from == CircuitBreaker.State.CLOSED) {
            log.warn("Redis quota store unavailable ({} of the last calls failed): deployment capacity {}, team allowances {}, until it answers again",
                    String.format("%.0f%%", breaker.getMetrics().getFailureRate()), describe(config.onFailure().deployment()),
                    describe(config.onFailure().team()));
        } else if (to == CircuitBreaker.State.CLOSED) {
            log.info("Redis quota store answers again: buckets are shared by every replica again");
        }
    }

    private String describe(QuotaProperties.FailurePolicy policy) {
        return policy == QuotaProperties.FailurePolicy.REJECT ? "refused (503)"
                : "admitted from 1/" + parts() + " of the limit on each replica";
    }

    private static String describe(Throwable error) {
        return error instanceof java.util.concurrent.TimeoutException ? "timed out" : error.getClass().getSimpleName() + ": " + error.getMessage();
    }

    private int parts() {
        return Math.max(config.replicas(), liveReplicas.get());
    }

    // ------------------------------------------------------------------ the local share

    private Mono<AdmitAnswer> local(Admit admit) {
        QuotaProperties.OnFailure policy = config.onFailure();
        boolean teamLimited = admit.team().limits().limited();
        if (teamLimited && policy.team() == QuotaProperties.FailurePolicy.REJECT) {
            return Mono.error(unavailable(Scope.Kind.TEAM));
        }
        if (policy.deployment() == QuotaProperties.FailurePolicy.REJECT) {
            return Mono.error(unavailable(Scope.Kind.DEPLOYMENT));
        }
        return localShare().admit(admit);
    }

    private LocalShare localShare() {
        LocalShare share = local;
        if (share == null) {
            synchronized (this) {
                if (local == null) {
                    local = new LocalShare(parts());
                }
                share = local;
            }
        }
        return share;
    }

    /**
     * Buckets in this replica holding 1/{@code parts} of each limit, seeded from what Redis last reported, and what
     * they admitted (to charge to Redis later).
     */
    private final class LocalShare {

        final int parts;
        final MemoryQuotaStore store;
        /** model + scope field → [the scope as Redis knows it, tokens, requests] used locally */
        final Map<String, Used> used = new ConcurrentHashMap<>();
        /** admission id → what it holds locally */
        final Map<String, Admitted> admitted = new ConcurrentHashMap<>();

        record Used(String model, ScopeQuota scope, AtomicLong tokens, AtomicLong requests) {

            Used add(long tokenCount, long requestCount) {
                tokens.addAndGet(tokenCount);
                requests.addAndGet(requestCount);
                return this;
            }
        }

        record Admitted(long tokens, Used team, Used member) {
        }

        LocalShare(int parts) {
            this.parts = parts;
            this.store = new MemoryQuotaStore(clock::currentTimeMillis, this::seed);
        }

        /** 1/parts of what Redis last reported, refilled since at the share's rate; full if nothing was reported. */
        long seed(String model, Scope scope, Unit unit, long capacity) {
            Reported last = reported.get(key(model, scope));
            if (last == null || !last.levels().limits(unit)) {
                return capacity;
            }
            long elapsed = Math.max(0, clock.currentTimeMillis() - last.atMillis());
            long refilled = Math.floorDiv(Math.max(0, last.levels().left(unit)), parts)
                    + (elapsed >= 60_000 ? capacity : capacity * elapsed / 60_000);
            return Math.min(capacity, refilled);
        }

        Mono<AdmitAnswer> admit(Admit admit) {
            ScopeQuota team = share(admit.team());
            Admit shared = new Admit(admit.id(), admit.model(), team, admit.pool().stream().map(this::share).toList(), admit.tokens());
            return store.admit(shared).map(answer -> {
                if (answer.held() == null) {
                    return answer;
                }
                ScopeQuota member = admit.pool().get(answer.member());
                Used teamUsed = answer.team().limits(Unit.TOKENS) || answer.team().limits(Unit.REQUESTS)
                        ? used(admit.model(), admit.team()).add(admit.tokens(), 1) : null;
                Used memberUsed = used(admit.model(), member).add(admit.tokens(), 1);
                admitted.put(admit.id(), new Admitted(admit.tokens(), teamUsed, memberUsed));
                metrics.localAdmitted(teamUsed != null);
                Held held = answer.held();
                return new AdmitAnswer(answer.status(), answer.member(), answer.waitMillis(), answer.team(), answer.memberLevels(),
                        new Held(held.id(), held.model(), held.team(), held.member(), true));
            });
        }

        private ScopeQuota share(ScopeQuota scope) {
            return scope.limits().limited() ? new ScopeQuota(scope.scope(), scope.limits().share(parts)) : scope;
        }

        private Used used(String model, ScopeQuota scope) {
            return used.computeIfAbsent(key(model, scope.scope()), k -> new Used(model, scope, new AtomicLong(), new AtomicLong()));
        }

        Mono<Settled> finish(Pending settlement) {
            Held held = settlement.held();
            Mono<Settled> done = settlement.refund() ? store.refund(held) : store.settle(held, settlement.usedTokens());
            return done.doOnNext(settled -> {
                Admitted a = admitted.remove(held.id());
                if (settled == Settled.SETTLED && a != null) {
                    long tokens = settlement.refund() ? -a.tokens() : settlement.usedTokens() - a.tokens();
                    long requests = settlement.refund() ? -1 : 0;
                    for (Used u : new Used[]{a.team(), a.member()}) {
                        if (u != null) {
                            u.add(tokens, requests);
                        }
                    }
                }
            });
        }
    }

    private static final class Latencies {
        static final int ENOUGH = 64;
        private final AtomicLongArray nanos;
        private final AtomicInteger next = new AtomicInteger();

        Latencies(int size) {
            this.nanos = new AtomicLongArray(size);
        }

        void add(long value) {
            nanos.set(Math.floorMod(next.getAndIncrement(), nanos.length()), value);
        }

        int size() {
            return Math.min(next.get(), nanos.length());
        }

        /** The 99th percentile of the recent calls; 0 before any. */
        long p99() {
            long[] copy = new long[Math.min(next.get(), nanos.length())];
            for (int i = 0; i < copy.length; i++) {
                copy[i] = nanos.get(i);
            }
            if (copy.length == 0) {
                return 0;
            }
            Arrays.sort(copy);
            return copy[Math.min(copy.length - 1, (int) Math.ceil(copy.length * 0.99) - 1)];
        }
    }

    // ------------------------------------------------------------------ heartbeat, timeouts, charging back

    /** Every {@code heartbeat}: tell Redis this replica is alive, adapt the first try's timeout, and catch up. */
    private Mono<Void> tick() {
        // until enough calls were seen (a cold replica, the slowest moment), the first try may take the whole timeout
        long p99 = latencies.size() < Latencies.ENOUGH ? config.timeout().toNanos() : latencies.p99();
        firstTryTimeoutNanos.set(Math.max(config.minTimeout().toNanos(), Math.min(config.timeout().toNanos(), 4 * p99)));
        Supplier<Mono<Long>> beat = () -> Timeouts.within(redis.heartbeat(replicaId, 3 * config.heartbeat().toMillis()), config.timeout(),
                "no answer from Redis");
        // while Redis counts as unavailable the heartbeat probes it too: a replica without traffic closes its breaker
        // (and charges back what it admitted alone) without waiting for a request
        Mono<Long> answered = breaker.getState() == CircuitBreaker.State.CLOSED ? beat.get() : guarded(beat, error -> Mono.empty());
        Mono<Void> heartbeat = answered
                .doOnNext(count -> liveReplicas.set(count.intValue()))
                .onErrorResume(e -> Mono.empty())
                .then();
        return heartbeat.then(Mono.defer(() -> breaker.getState() == CircuitBreaker.State.CLOSED ? catchUp() : Mono.empty()));
    }

    /**
     * Charges Redis with what the local share admitted, then writes the queued settlements. Runs while the breaker is
     * closed. The share stays in use until every scope of it is charged (so a request failing meanwhile does not start
     * a fresh one); what a charge that fails took is put back, to be charged at a later tick.
     */
    private Mono<Void> catchUp() {
        LocalShare share = local;
        Mono<Void> charged = share == null ? Mono.empty() : Flux.fromIterable(share.used.values())
                .concatMap(u -> {
                    long tokens = u.tokens().getAndSet(0);
                    long requests = u.requests().getAndSet(0);
                    if (tokens <= 0 && requests <= 0) {
                        u.add(tokens, requests);
                        return Mono.empty();
                    }
                    return Timeouts.within(redis.charge(u.model(), u.scope(), Math.max(0, tokens), Math.max(0, requests)), config.timeout(),
                                    "no answer from Redis")
                            .doOnSuccess(v -> {
                                metrics.localCharged(Math.max(0, tokens), Math.max(0, requests));
                                log.info("Charged Redis with {} tokens and {} requests admitted on this replica alone to {} of {}", tokens, requests,
                                        u.scope().scope().field(), u.model());
                            })
                            .doOnError(e -> u.add(tokens, requests));
                })
                .then(Mono.fromRunnable(() -> {
                    synchronized (this) {
                        if (local == share) {
                            local = null;
                        }
                    }
                }))
                .onErrorResume(e -> {
                    log.warn("Could not charge Redis with what this replica admitted on its own yet ({}); trying again", describe(e));
                    return Mono.empty();
                })
                .then();
        return charged.then(Flux.defer(() -> Flux.fromIterable(drainPending()))
                .concatMap(p -> Timeouts.within(write(p), config.timeout(), "no answer from Redis").then().onErrorResume(e -> {
                    queue(p);
                    return Mono.empty();
                }))
                .then());
    }

    private java.util.List<Pending> drainPending() {
        java.util.List<Pending> drained = new java.util.ArrayList<>();
        Pending p;
        while ((p = pending.poll()) != null) {
            pendingCount.decrementAndGet();
            drained.add(p);
        }
        return drained;
    }

    private void queue(Pending settlement) {
        if (pendingCount.incrementAndGet() > MAX_QUEUED_SETTLEMENTS) {
            pendingCount.decrementAndGet();
            metrics.settlementDropped();
            return;
        }
        pending.add(settlement);
        metrics.settlementQueued();
    }

    private static String key(String model, Scope scope) {
        return model + "\u0000" + scope.field();
    }

    private static GatewayError unavailable(Scope.Kind kind) {
        return new GatewayError(HttpStatus.SERVICE_UNAVAILABLE, ErrorCode.QUOTA_UNAVAILABLE,
                "The gateway cannot check the " + kind.label() + " quota right now; retry shortly.", null,
                Map.of("Retry-After", "1"));
    }

    @Override
    public void start() {
        ticker = Flux.interval(Duration.ZERO, config.heartbeat()).onBackpressureDrop()
                .concatMap(t -> tick().onErrorResume(e -> Mono.empty()))
                .subscribe();
    }

    @Override
    public void stop() {
        if (ticker != null) {
            ticker.dispose();
            ticker = null;
        }
    }

    @Override
    public boolean isRunning() {
        return ticker != null;
    }
}
