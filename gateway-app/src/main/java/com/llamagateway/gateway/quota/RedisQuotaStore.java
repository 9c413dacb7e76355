package com.llamagateway.gateway.quota;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.reactive.RedisScriptingReactiveCommands;
import org.springframework.core.io.ClassPathResource;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The buckets in Redis, shared by every replica: each operation is one server-side script ({@code EVALSHA}) over the
 * keys of one model, all under the model's hash tag (so they share a Redis Cluster slot), on the Redis server's clock.
 * The scripts ({@code resources/quota/*.lua}, each prefixed by {@code common.lua}) compute what
 * {@link MemoryQuotaStore} computes with Bucket4j, to the unit-millisecond.
 *
 * <p>Scripts are loaded when the store is made and loaded again when Redis answers {@code NOSCRIPT} (after a
 * restart, a failover, or {@code SCRIPT FLUSH}). No call is retried here: {@link RedisWithFallback} decides that.
 */
public final class RedisQuotaStore implements QuotaStore {

    /** A script and its SHA-1. */
    record Script(String name, String text, String sha) {
    }

    private static final String REPLICAS_KEY = "llgw:replicas";

    private final RedisScriptingReactiveCommands<String, String> redis;
    private final QuotaClock testClock;
    private final Script admit;
    private final Script settle;
    private final Script peek;
    private final Script charge;
    private final Script heartbeat;
    private final Script cool;

    /**
     * @param testClock null in production (the scripts read the Redis server's clock); a test's clock otherwise
     */
    public RedisQuotaStore(RedisScriptingReactiveCommands<String, String> redis, QuotaClock testClock) {
        this.redis = redis;
        this.testClock = testClock;
        String common = resource("common");
        this.admit = script(redis, common, "admit");
        this.settle = script(redis, common, "settle");
        this.peek = script(redis, common, "peek");
        this.charge = script(redis, common, "charge");
        this.heartbeat = script(redis, common, "heartbeat");
        this.cool = script(redis, common, "cool");
    }

    private static Script script(RedisScriptingReactiveCommands<String, String> redis, String common, String name) {
        String text = common + "\n" + resource(name);
        return new Script(name, text, redis.digest(text));
    }

    private static String resource(String name) {
        try {
            return new ClassPathResource("quota/" + name + ".lua").getContentAsString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("quota script " + name + " missing", e);
        }
    }

    /** Loads every script into Redis's script cache (on every node of a cluster). */
    public Mono<Void> load() {
        return reactor.core.publisher.Flux.just(admit, settle, peek, charge, heartbeat, cool).concatMap(s -> redis.scriptLoad(s.text())).then();
    }

    private <T> Mono<T> run(Script script, ScriptOutputType type, String[] keys, String... args) {
        return redis.<T>evalsha(script.sha(), type, keys, args).next()
                .onErrorResume(RedisNoScriptException.class, e -> redis.scriptLoad(script.text())
                        .then(redis.<T>evalsha(script.sha(), type, keys, args).next()));
    }

    private String now() {
        return testClock == null ? "" : Long.toString(testClock.currentTimeMillis());
    }

    private static String limitsKey(String model) {
        return Scope.modelPrefix(model) + "limits";
    }

    private static String bucketKey(String model, Scope scope) {
        return Scope.modelPrefix(model) + scope.field();
    }

    private static String coolDownKey(String model, Scope member) {
        return Scope.modelPrefix(model) + "c:" + member.field();
    }

    static String admissionKey(String model, String id) {
        return Scope.modelPrefix(model) + "r:" + id;
    }

    @Override
    public Mono<AdmitAnswer> admit(Admit request) {
        List<String> keys = new ArrayList<>(List.of(limitsKey(request.model()), admissionKey(request.model(), request.id()),
                bucketKey(request.model(), request.team().scope())));
        List<String> args = new ArrayList<>(List.of(Long.toString(request.tokens()), now(), Long.toString(KEEP_ADMISSIONS.toMillis()),
                request.coolDownsApply() ? "1" : "0", request.team().scope().field(), request.team().limits().wire()));
        for (ScopeQuota member : request.pool()) {
            keys.add(bucketKey(request.model(), member.scope()));
            keys.add(coolDownKey(request.model(), member.scope()));
            args.add(member.scope().field());
            args.add(member.limits().wire());
        }
        return this.<List<Long>>run(admit, ScriptOutputType.MULTI, keys.toArray(String[]::new), args.toArray(String[]::new))
                .map(reply -> answer(request, reply));
    }

    private static AdmitAnswer answer(Admit request, List<Long> reply) {
        Status status = Status.values()[reply.get(0).intValue() - 1];
        int member = reply.get(1).intValue() - 1;
        Levels team = new Levels(reply.get(3), reply.get(4), reply.get(5), reply.get(6));
        Levels memberLevels = new Levels(reply.get(7), reply.get(8), reply.get(9), reply.get(10));
        Held held = status == Status.ADMITTED
                ? new Held(request.id(), request.model(), request.team().scope(), request.pool().get(member).scope(), false) : null;
        return new AdmitAnswer(status, member, reply.get(2), team, memberLevels, held);
    }

    @Override
    public Mono<Settled> settle(Held held, long usedTokens) {
        return finish(held, "settle", usedTokens);
    }

    @Override
    public Mono<Settled> refund(Held held) {
        return finish(held, "refund", 0);
    }

    private Mono<Settled> finish(Held held, String mode, long usedTokens) {
        String[] keys = {limitsKey(held.model()), admissionKey(held.model(), held.id()), bucketKey(held.model(), held.team()),
                bucketKey(held.model(), held.member())};
        return this.<Long>run(settle, ScriptOutputType.INTEGER, keys, mode, Long.toString(usedTokens), now(), held.team().field(),
                        held.member().field(), Long.toString(KEEP_SETTLED.toMillis()))
                .map(reply -> reply == 1 ? Settled.SETTLED : reply == 0 ? Settled.BEFORE : Settled.UNKNOWN);
    }

    @Override
    public Mono<Peek> peek(String model, ScopeQuota scope) {
        String[] keys = {limitsKey(model), bucketKey(model, scope.scope())};
        return this.<List<Long>>run(peek, ScriptOutputType.MULTI, keys, now(), scope.scope().field(), scope.limits().wire())
                .map(reply -> new Peek(new Levels(reply.get(0), reply.get(1), reply.get(2), reply.get(3)), reply.get(4)));
    }

    @Override
    public Mono<Void> coolDown(String model, Scope member, long millis) {
        return this.<Long>run(cool, ScriptOutputType.INTEGER, new String[]{coolDownKey(model, member)}, now(), Long.toString(millis)).then();
    }

    /** Charges units used outside Redis into the scope's buckets (into debt as a settlement does). */
    Mono<Void> charge(String model, ScopeQuota scope, long tokens, long requests) {
        String[] keys = {limitsKey(model), bucketKey(model, scope.scope())};
        return this.<Long>run(charge, ScriptOutputType.INTEGER, keys, now(), scope.scope().field(), scope.limits().wire(),
                Long.toString(tokens), Long.toString(requests)).then();
    }

    /** Says this replica is alive; answers how many replicas are (heartbeats younger than {@code aliveMillis}). */
    Mono<Long> heartbeat(String replicaId, long aliveMillis) {
        return run(heartbeat, ScriptOutputType.INTEGER, new String[]{REPLICAS_KEY}, replicaId, Long.toString(aliveMillis), now());
    }

    /**
     * For tests: each unit's exact level in unit-milliseconds and its limit as stored,
     * {tokens level, tokens limit, requests level, requests limit}; null where a unit has no bucket.
     */
    Mono<Long[]> exactLevels(String model, Scope scope) {
        return ((io.lettuce.core.api.reactive.RedisHashReactiveCommands<String, String>) redis)
                .hmget(bucketKey(model, scope), "t", "tc", "r", "rc").collectList()
                .map(values -> values.stream().map(v -> v.hasValue() ? Long.valueOf(v.getValue()) : null).toArray(Long[]::new));
    }
}
