package com.llamagateway.gateway.team;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns a presented key into the caller's team. Malformed keys are refused without a lookup; lookups by hash are
 * cached for at most {@code cacheTime} (1 s by default), which bounds how long a key revoked on another replica
 * still works here. Last-used times are kept in memory and written in batches, not once per request.
 */
public final class KeyAuthenticator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KeyAuthenticator.class);
    private static final Mono<Optional<CallerTeam>> NO_TEAM = Mono.just(Optional.empty());

    private final TeamStore store;
    private final Clock clock;
    private final AsyncCache<String, Optional<TeamStore.KeyOwner>> cache;
    private final Map<String, Instant> lastUsed = new ConcurrentHashMap<>();
    private final Disposable flusher;

    public KeyAuthenticator(TeamStore store, Clock clock, Duration cacheTime, Duration lastUsedFlushInterval) {
        this.store = store;
        this.clock = clock;
        this.cache = Caffeine.newBuilder().expireAfterWrite(cacheTime).maximumSize(100_000).buildAsync();
        // ticks during a slow flush are dropped (an overflowing interval would end the flushing for good)
        this.flusher = Flux.interval(lastUsedFlushInterval).onBackpressureDrop().concatMap(tick -> flushLastUsed().onErrorResume(e -> {
            log.warn("Could not record keys' last use: {}", e.toString());
            return Mono.empty();
        })).subscribe();
    }

    /**
     * The caller's team, or an empty {@code Optional} for a key that is malformed, unknown, revoked or expired. A key
     * whose look-up is cached and done is answered at once ({@code Mono.just}, which a {@code flatMap} after it
     * calls through without subscribing): that is nearly every request.
     */
    public Mono<Optional<CallerTeam>> authenticate(String presentedKey) {
        if (!KeyFormat.isWellFormed(presentedKey)) {
            return NO_TEAM;
        }
        String hash = KeyFormat.hash(presentedKey);
        CompletableFuture<Optional<TeamStore.KeyOwner>> cached = cache.getIfPresent(hash);
        if (cached != null && cached.isDone() && !cached.isCompletedExceptionally()) {
            return Mono.just(team(cached.join()));
        }
        return Mono.fromFuture(() -> cache.get(hash, (h, executor) ->
                        store.findByHash(h).map(Optional::of).defaultIfEmpty(Optional.empty()).toFuture()))
                .map(this::team);
    }

    private Optional<CallerTeam> team(Optional<TeamStore.KeyOwner> found) {
        if (found.isEmpty()) {
            return Optional.empty();
        }
        TeamStore.KeyOwner owner = found.get();
        Instant now = clock.instant();
        if (!owner.key().activeAt(now)) {
            return Optional.empty();
        }
        lastUsed.put(owner.key().id(), now);
        return Optional.of(new CallerTeam(owner.key().teamId(), owner.teamName(), owner.key().id(), owner.models()));
    }

    /** Forget every cached lookup (after a revocation or a change of permissions on this replica). */
    public void invalidateAll() {
        cache.synchronous().invalidateAll();
    }

    public Mono<Void> flushLastUsed() {
        if (lastUsed.isEmpty()) {
            return Mono.empty();
        }
        Map<String, Instant> batch = new HashMap<>();
        lastUsed.keySet().forEach(id -> {
            Instant at = lastUsed.remove(id);
            if (at != null) {
                batch.put(id, at);
            }
        });
        return store.touch(batch);
    }

    @Override
    public void close() {
        flusher.dispose();
        flushLastUsed().onErrorResume(e -> Mono.empty()).block(Duration.ofSeconds(5));
    }
}
