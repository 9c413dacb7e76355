package com.llamagateway.gateway.quota;

import com.llamagateway.gateway.quota.QuotaStore.AdmitAnswer;
import com.llamagateway.gateway.quota.QuotaStore.Held;
import com.llamagateway.gateway.quota.QuotaStore.Settled;
import com.llamagateway.gateway.quota.QuotaStore.Status;
import com.llamagateway.gateway.support.ManualClock;
import com.llamagateway.gateway.support.RedisCluster;
import com.llamagateway.gateway.support.RedisProcess;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.reactive.RedisScriptingReactiveCommands;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.codec.StringCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Redis scripts against Bucket4j: the same random operations — admissions on pools of one to three deployments
 * with fresh or stale views of the limits, the same admission asked again, settlements (also twice), refunds,
 * charges of what a replica admitted on its own, limit changes, cool-downs (extending and not, and admissions that
 * ignore them), clock steps from 0 ms to minutes (and back) — go to
 * {@link RedisQuotaStore} on a real Redis (a server, and a three-node cluster, of the test's own) and to
 * {@link MemoryQuotaStore} (Bucket4j buckets); every answer and, after every operation, every scope's exact level
 * (to the unit-millisecond) and limit must be equal.
 */
class QuotaStoreDifferentialTest {

    private static RedisProcess standalone;
    private static RedisCluster cluster;
    private static RedisClient standaloneClient;
    private static RedisClusterClient clusterClient;
    private static final Map<String, RedisScriptingReactiveCommands<String, String>> redis = new HashMap<>();
    private static final List<StatefulConnection<String, String>> connections = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        standalone = RedisProcess.start();
        standaloneClient = RedisClient.create(standalone.url());
        var single = standaloneClient.connect(StringCodec.UTF8);
        connections.add(single);
        redis.put("standalone", single.reactive());
        cluster = RedisCluster.start();
        clusterClient = RedisClusterClient.create(cluster.urls().stream().map(io.lettuce.core.RedisURI::create).toList());
        var clustered = clusterClient.connect(StringCodec.UTF8);
        connections.add(clustered);
        redis.put("cluster", clustered.reactive());
    }

    @AfterAll
    static void stop() throws Exception {
        connections.forEach(StatefulConnection::close);
        if (standaloneClient != null) {
            standaloneClient.shutdown();
        }
        if (clusterClient != null) {
            clusterClient.shutdown();
        }
        for (AutoCloseable closeable : new AutoCloseable[]{standalone, cluster}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    static Stream<Arguments> runs() {
        return Stream.concat(
                Stream.of(1L, 2L, 3L, 4L).map(seed -> Arguments.of("standalone", seed)),
                Stream.of(5L, 6L).map(seed -> Arguments.of("cluster", seed)));
    }

    /** One scope of the simulation: its current limits and an older version a stale replica may still pass. */
    private static final class Known {
        final String model;
        final Scope scope;
        ScopeLimits current;
        ScopeLimits stale;

        Known(String model, Scope scope, ScopeLimits limits) {
            this.model = model;
            this.scope = scope;
            this.current = limits;
            this.stale = limits;
        }

        ScopeQuota view(boolean stale) {
            return new ScopeQuota(scope, stale ? this.stale : current);
        }
    }

    /** An admission the run holds, asked for at {@code askedNanos} (System.nanoTime, before the stores were asked). */
    private record Open(Held held, long tokens, long askedNanos) {
    }

    /** An admission asked for at {@code askedNanos} (System.nanoTime, before the stores were asked). */
    private record Asked(QuotaStore.Admit admit, long askedNanos) {
    }

    /**
     * Both stores forget a settled admission {@link QuotaStore#KEEP_SETTLED} after its settlement, on the real clock
     * (Redis's key expiry, the memory store's monotonic clock), not the buckets' clock the run holds: an admission is
     * asked or settled again only within half of that since it was asked, so that neither store has forgotten it
     * however slowly the run goes.
     */
    private static boolean recent(long askedNanos) {
        return System.nanoTime() - askedNanos < QuotaStore.KEEP_SETTLED.toNanos() / 2;
    }

    @ParameterizedTest(name = "{0}, seed {1}")
    @MethodSource("runs")
    void redisComputesExactlyWhatBucket4jComputes(String where, long seed) {
        Random random = new Random(seed);
        ManualClock clock = new ManualClock();
        RedisScriptingReactiveCommands<String, String> commands = redis.get(where);
        RedisQuotaStore onRedis = new RedisQuotaStore(commands, clock);
        onRedis.load().block();
        MemoryQuotaStore inMemory = new MemoryQuotaStore(clock::currentTimeMillis, MemoryQuotaStore.Seed.FULL);

        // two models (one name that would break an unescaped key: braces, colon, percent), two teams, three deployments each
        String run = where + "-" + seed + "-" + UUID.randomUUID();
        List<String> models = List.of("Meta-Llama-3.1-70B-Instruct-" + run, "odd {model}:%-" + run);
        long[] version = {clock.currentTimeMillis()};
        Map<String, List<Known>> teams = new LinkedHashMap<>();
        Map<String, List<Known>> deployments = new LinkedHashMap<>();
        for (String model : models) {
            teams.put(model, List.of(
                    new Known(model, Scope.team("team-a", model), new ScopeLimits(null, null, ScopeLimits.CONFIG, version[0])),
                    new Known(model, Scope.team("team:{b}", model), new ScopeLimits(20_000L, 12L, ScopeLimits.ADMIN, version[0]))));
            deployments.put(model, List.of(
                    new Known(model, Scope.deployment("d1-" + model), new ScopeLimits(6_000L, 10L, ScopeLimits.CONFIG, version[0])),
                    new Known(model, Scope.deployment("d2-" + model), new ScopeLimits(30_000L, 4L, ScopeLimits.CONFIG, version[0])),
                    new Known(model, Scope.deployment("d3-" + model), new ScopeLimits(ScopeLimits.MAX_PER_MINUTE, ScopeLimits.MAX_PER_MINUTE,
                            ScopeLimits.CONFIG, version[0]))));
        }
        List<Known> all = new ArrayList<>();
        teams.values().forEach(all::addAll);
        deployments.values().forEach(all::addAll);

        long[] lastWait = {0};
        List<Open> open = new ArrayList<>();
        List<Open> finished = new ArrayList<>();
        List<Asked> asked = new ArrayList<>();
        Map<Status, Integer> statuses = new EnumMap<>(Status.class);
        Map<Settled, Integer> settlements = new EnumMap<>(Settled.class);
        int operations = 1_200;
        int coolDowns = 0;
        for (int step = 0; step < operations; step++) {
            if (step == operations / 2) {
                commands.scriptFlush().block(); // as after a restart or failover: the scripts are loaded again on NOSCRIPT
            }
            int kind = random.nextInt(100);
            String context = where + " seed " + seed + " step " + step;
            String touched = null;
            if (kind < 40) {
                QuotaStore.Admit admit;
                long askedNanos = System.nanoTime();
                List<Asked> askedRecently = kind < 4 ? asked.stream().filter(a -> recent(a.askedNanos())).toList() : List.of();
                if (kind < 4 && !askedRecently.isEmpty()) {
                    Asked again = askedRecently.get(random.nextInt(askedRecently.size())); // the same admission again: the first answer, no debit
                    admit = again.admit();
                    askedNanos = again.askedNanos();
                } else {
                    String model = models.get(random.nextInt(models.size()));
                    List<Known> pool = new ArrayList<>(deployments.get(model));
                    java.util.Collections.shuffle(pool, random);
                    pool = pool.subList(0, 1 + random.nextInt(pool.size()));
                    boolean stale = random.nextInt(5) == 0;
                    Known team = teams.get(model).get(random.nextInt(2));
                    admit = new QuotaStore.Admit(UUID.randomUUID().toString(), model, team.view(stale),
                            pool.stream().map(k -> k.view(stale)).toList(), tokens(random), random.nextInt(10) != 0);
                    asked.add(new Asked(admit, askedNanos));
                }
                touched = admit.model();
                AdmitAnswer expected = inMemory.admit(admit).block();
                AdmitAnswer actual = onRedis.admit(admit).block();
                assertThat(actual).as(context + ": admit " + admit).isEqualTo(expected);
                statuses.merge(actual.status(), 1, Integer::sum);
                if (actual.waitMillis() > 0) {
                    lastWait[0] = actual.waitMillis();
                }
                if (actual.held() != null && open.stream().noneMatch(o -> o.held().equals(actual.held()))
                        && finished.stream().noneMatch(o -> o.held().equals(actual.held()))) {
                    open.add(new Open(actual.held(), admit.tokens(), askedNanos));
                }
            } else if (kind < 62 && (!open.isEmpty() || finished.stream().anyMatch(o -> recent(o.askedNanos())))) {
                List<Open> finishedRecently = finished.stream().filter(o -> recent(o.askedNanos())).toList();
                boolean again = open.isEmpty() || !finishedRecently.isEmpty() && random.nextInt(8) == 0;
                Open settling = again ? finishedRecently.get(random.nextInt(finishedRecently.size())) : open.remove(random.nextInt(open.size()));
                touched = settling.held().model();
                Settled expected;
                Settled actual;
                if (kind < 50) {
                    // less than reserved, a little more, or far more (charged into debt, down to minus one minute's limit)
                    long used = switch (random.nextInt(4)) {
                        case 0 -> random.nextLong(settling.tokens() + 1);
                        case 1 -> settling.tokens() + random.nextInt(500);
                        case 2 -> settling.tokens() * (2 + random.nextInt(20));
                        default -> random.nextInt(50);
                    };
                    expected = inMemory.settle(settling.held(), used).block();
                    actual = onRedis.settle(settling.held(), used).block();
                } else {
                    expected = inMemory.refund(settling.held()).block();
                    actual = onRedis.refund(settling.held()).block();
                }
                assertThat(actual).as(context + ": settle " + settling).isEqualTo(expected);
                assertThat(actual).isEqualTo(again ? Settled.BEFORE : Settled.SETTLED);
                settlements.merge(actual, 1, Integer::sum);
                if (!again) {
                    finished.add(settling);
                }
            } else if (kind < 70) {
                Known changed = all.get(random.nextInt(all.size()));
                touched = changed.model;
                changed.stale = changed.current;
                changed.current = newLimits(random, changed.scope.kind() == Scope.Kind.TEAM, ++version[0]);
                if (random.nextBoolean()) { // as the admin API does after its commit; else the next admission carries it
                    assertThat(onRedis.peek(changed.model, changed.view(false)).block()).as(context + ": publish")
                            .isEqualTo(inMemory.peek(changed.model, changed.view(false)).block());
                }
            } else if (kind < 80) {
                // exactly to an edge, or a millisecond either side: when a bucket is full again, or a refusal's wait is over
                long edge = lastWait[0] > 0 && random.nextBoolean() ? lastWait[0] : untilFull(all.get(random.nextInt(all.size())), commands, clock);
                clock.advance(Duration.ofMillis(Math.max(0, edge + random.nextInt(3) - 1)));
                lastWait[0] = 0;
            } else if (kind < 92) {
                int size = random.nextInt(10);
                long millis = switch (size) {
                    case 0, 1 -> 0;
                    case 2, 3, 4 -> 1 + random.nextInt(999);
                    case 5, 6 -> 1_000 + random.nextInt(59_000);
                    case 7, 8 -> 60_000 + random.nextInt(180_000);
                    default -> -1 - random.nextInt(5_000); // the server's clock stepped back (a failover)
                };
                clock.advance(Duration.ofMillis(millis));
            } else if (kind < 94 || kind == 99) {
                // a deployment asked for a wait: from a millisecond to minutes, longer or shorter than one under way
                Known cooled = deployments.get(models.get(random.nextInt(models.size()))).get(random.nextInt(3));
                touched = cooled.model;
                long millis = random.nextInt(3) == 0 ? 1 + random.nextInt(2_000) : 1_000 + random.nextInt(300_000);
                onRedis.coolDown(cooled.model, cooled.scope, millis).block();
                inMemory.coolDown(cooled.model, cooled.scope, millis).block();
                coolDowns++;
            } else if (kind < 97) {
                // what a replica admitted on its own while Redis was unavailable, charged afterwards (into debt)
                Known charged = all.get(random.nextInt(all.size()));
                touched = charged.model;
                long tokens = random.nextInt(3) == 0 ? 0 : random.nextInt(60_000);
                long requests = random.nextInt(20);
                ScopeQuota view = charged.view(random.nextBoolean());
                onRedis.charge(charged.model, view, tokens, requests).block();
                inMemory.charge(charged.model, view, tokens, requests).block();
            } else {
                Known peeked = all.get(random.nextInt(all.size()));
                boolean stale = random.nextBoolean();
                touched = peeked.model;
                assertThat(onRedis.peek(peeked.model, peeked.view(stale)).block()).as(context + ": peek")
                        .isEqualTo(inMemory.peek(peeked.model, peeked.view(stale)).block());
            }
            if (touched != null) { // a clock step changes nothing until the next operation reads the clock
                String model = touched;
                compareEveryScope(all.stream().filter(k -> k.model.equals(model)).toList(), onRedis, inMemory, context);
            }
        }
        System.out.println("Differential " + where + " seed " + seed + ": " + operations + " operations, admissions " + statuses
                + ", settlements " + settlements + ", cool-downs " + coolDowns + ", all equal");
        assertThat(statuses).containsKeys(Status.ADMITTED, Status.TEAM_REFUSED, Status.NO_ROOM, Status.COOLING_DOWN);
        assertThat(settlements).containsKeys(Settled.SETTLED, Settled.BEFORE);
    }

    /** Every scope as both stores hold it now: levels and limits as answered, and the exact level in unit-ms. */
    private static void compareEveryScope(List<Known> all, RedisQuotaStore onRedis, MemoryQuotaStore inMemory, String context) {
        for (Known known : all) {
            ScopeQuota noNews = new ScopeQuota(known.scope, new ScopeLimits(null, null, ScopeLimits.CONFIG, 0));
            assertThat(onRedis.peek(known.model, noNews).block()).as(context + ": levels of " + known.scope)
                    .isEqualTo(inMemory.peek(known.model, noNews).block());
            assertThat(Arrays.asList(onRedis.exactLevels(known.model, known.scope).block())).as(context + ": exact levels of " + known.scope)
                    .isEqualTo(Arrays.asList(inMemory.exactLevels(known.model, known.scope)));
        }
    }

    /** Milliseconds until the scope's emptier bucket is full again (Bucket4j's arithmetic, from its exact level). */
    /**
     * How long until the scope's buckets are full, from what Redis holds: read without refilling (reading Bucket4j's
     * state refills it to now, which the Redis side would not see — and after a clock step back the two would differ
     * by what the probe did, not by what the stores compute).
     */
    @SuppressWarnings("unchecked")
    private static long untilFull(Known known, RedisScriptingReactiveCommands<String, String> commands, ManualClock clock) {
        List<io.lettuce.core.KeyValue<String, String>> stored = ((io.lettuce.core.api.reactive.RedisHashReactiveCommands<String, String>) commands)
                .hmget(Scope.modelPrefix(known.model) + known.scope.field(), "t", "tc", "tt", "r", "rc", "rt").collectList().block();
        long now = clock.currentTimeMillis();
        long until = 0;
        for (int i = 0; i < 2; i++) {
            if (stored.get(3 * i).hasValue()) {
                long level = Long.parseLong(stored.get(3 * i).getValue());
                long limit = Long.parseLong(stored.get(3 * i + 1).getValue());
                long at = Long.parseLong(stored.get(3 * i + 2).getValue());
                long fromLastRefill = -Math.floorDiv(-(limit * 60_000L - level), limit);
                until = Math.max(until, fromLastRefill - Math.max(0, now - at));
            }
        }
        return Math.max(0, until);
    }

    /**
     * Mostly around the small limits, sometimes larger than any, sometimes near the largest allowed, sometimes none
     * (a request-only admission: pass-through, refused by a tokens bucket only while it is in debt).
     */
    private static long tokens(Random random) {
        return switch (random.nextInt(20)) {
            case 0 -> ScopeLimits.MAX_PER_MINUTE + 1;
            case 1 -> ScopeLimits.MAX_PER_MINUTE - random.nextInt(1_000_000);
            case 2, 3 -> 5_000 + random.nextInt(30_000);
            case 4, 5 -> 0;
            default -> 1 + random.nextInt(2_500);
        };
    }

    private static ScopeLimits newLimits(Random random, boolean team, long version) {
        Long tokens = team && random.nextInt(4) == 0 ? null
                : random.nextInt(10) == 0 ? ScopeLimits.MAX_PER_MINUTE - random.nextInt(1_000) : 1 + (long) random.nextInt(40_000);
        Long requests = team && random.nextInt(4) == 0 ? null : 1 + (long) random.nextInt(15);
        return new ScopeLimits(tokens, requests, ScopeLimits.ADMIN, version);
    }

    /**
     * Bucket4j's wait is whole nanoseconds, truncated: floor(deficit × 10^6 / limit). For a limit above 10^6 a minute
     * that can fall just short of the exact wait — here 3.00000006 ms becomes 3,000,000 ns, so 3 ms where the exact
     * figure rounds up to 4 — and the scripts reproduce it rather than differ.
     */
    @Test
    void theWaitIsBucket4jsTruncatedNanosecondsRoundedUpToMilliseconds() {
        ManualClock clock = new ManualClock();
        RedisQuotaStore onRedis = new RedisQuotaStore(redis.get("standalone"), clock);
        onRedis.load().block();
        MemoryQuotaStore inMemory = new MemoryQuotaStore(clock::currentTimeMillis, MemoryQuotaStore.Seed.FULL);
        String model = "wait-" + UUID.randomUUID();
        ScopeQuota team = new ScopeQuota(Scope.team("t", model), new ScopeLimits(null, null, ScopeLimits.CONFIG, 1));
        List<ScopeQuota> pool = List.of(new ScopeQuota(Scope.deployment("d"), new ScopeLimits(49_999_999L, 1_000L, ScopeLimits.CONFIG, 1)));
        for (QuotaStore store : List.of(onRedis, inMemory)) {
            assertThat(store.admit(new QuotaStore.Admit("all", model, team, pool, 49_999_999)).block().status()).isEqualTo(Status.ADMITTED);
            AdmitAnswer refused = store.admit(new QuotaStore.Admit("more", model, team, pool, 2_500)).block();
            assertThat(refused.status()).isEqualTo(Status.NO_ROOM);
            assertThat(refused.waitMillis()).as("2,500 × 60,000 / 49,999,999 ms = 3.00000006 ms, truncated to 3,000,000 ns").isEqualTo(3);
        }
    }

    /**
     * A member cooling down is skipped until its cool-down ends, to the millisecond; a shorter one asked later does
     * not shorten it, a longer one extends it; the attempt that waited its cool-down out is admitted anyway.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"standalone", "cluster"})
    void aCoolDownKeepsTheMemberOutUntilItEndsExtendedNeverShortened(String where) {
        ManualClock clock = new ManualClock();
        RedisQuotaStore onRedis = new RedisQuotaStore(redis.get(where), clock);
        onRedis.load().block();
        MemoryQuotaStore inMemory = new MemoryQuotaStore(clock::currentTimeMillis, MemoryQuotaStore.Seed.FULL);
        String model = "cool-" + UUID.randomUUID();
        ScopeQuota team = new ScopeQuota(Scope.team("t", model), new ScopeLimits(null, null, ScopeLimits.CONFIG, 1));
        ScopeQuota east = new ScopeQuota(Scope.deployment("east"), new ScopeLimits(400_000L, 1_000L, ScopeLimits.CONFIG, 1));
        ScopeQuota west = new ScopeQuota(Scope.deployment("west"), new ScopeLimits(400_000L, 1_000L, ScopeLimits.CONFIG, 1));
        List<ScopeQuota> pool = List.of(east, west);
        for (QuotaStore store : List.of(onRedis, inMemory)) {
            String name = store.getClass().getSimpleName();
            java.util.function.Function<List<ScopeQuota>, AdmitAnswer> admit =
                    members -> store.admit(new QuotaStore.Admit(UUID.randomUUID().toString(), model + name, team, members, 10)).block();
            store.coolDown(model + name, east.scope(), 30_000).block();
            store.coolDown(model + name, east.scope(), 5_000).block(); // shorter: changes nothing
            AdmitAnswer skipped = admit.apply(pool);
            assertThat(skipped.status()).as(name).isEqualTo(Status.ADMITTED);
            assertThat(skipped.member()).as(name + ": west, east cooling").isEqualTo(1);
            AdmitAnswer refused = admit.apply(List.of(east));
            assertThat(refused.status()).as(name).isEqualTo(Status.COOLING_DOWN);
            assertThat(refused.waitMillis()).as(name).isEqualTo(30_000);
            assertThat(refused.memberLevels().requestsLeft()).as(name + ": nothing debited").isEqualTo(1_000);
            assertThat(store.admit(new QuotaStore.Admit(UUID.randomUUID().toString(), model + name, team, List.of(east), 10, false)).block()
                    .status()).as(name + ": the attempt that waited").isEqualTo(Status.ADMITTED);
            clock.advance(Duration.ofMillis(29_999));
            assertThat(admit.apply(List.of(east)).waitMillis()).as(name).isEqualTo(1);
            store.coolDown(model + name, east.scope(), 2_000).block(); // ends later: extends
            assertThat(admit.apply(List.of(east)).waitMillis()).as(name).isEqualTo(2_000);
            clock.advance(Duration.ofMillis(2_000));
            AdmitAnswer back = admit.apply(pool);
            assertThat(back.status()).as(name).isEqualTo(Status.ADMITTED);
            assertThat(back.member()).as(name + ": east again").isZero();
            clock.advance(Duration.ofMillis(-31_999));
        }
    }

    /**
     * An admission's key lives an hour while it is not settled (a stream may last that long) and
     * {@link QuotaStore#KEEP_SETTLED} once settled: Redis holds the requests in flight, not one hash per request of
     * the last hour. Within that time a second settlement is still told it came second.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"standalone", "cluster"})
    void aSettledAdmissionIsKeptSecondsNotAnHour(String where) {
        RedisScriptingReactiveCommands<String, String> commands = redis.get(where);
        RedisQuotaStore store = new RedisQuotaStore(commands, new ManualClock());
        store.load().block();
        String model = "keep-" + UUID.randomUUID();
        ScopeQuota team = new ScopeQuota(Scope.team("t", model), new ScopeLimits(null, null, ScopeLimits.CONFIG, 1));
        List<ScopeQuota> pool = List.of(new ScopeQuota(Scope.deployment("d"), new ScopeLimits(400_000L, 1_000L, ScopeLimits.CONFIG, 1)));
        var keys = (io.lettuce.core.api.reactive.RedisKeyReactiveCommands<String, String>) commands;
        for (boolean refund : new boolean[]{false, true}) {
            String id = UUID.randomUUID().toString();
            AdmitAnswer admitted = store.admit(new QuotaStore.Admit(id, model, team, pool, 100)).block();
            assertThat(admitted.status()).isEqualTo(Status.ADMITTED);
            assertThat(keys.pttl(RedisQuotaStore.admissionKey(model, id)).block()).as("in flight")
                    .isBetween(QuotaStore.KEEP_SETTLED.toMillis() + 1, QuotaStore.KEEP_ADMISSIONS.toMillis());
            Settled first = refund ? store.refund(admitted.held()).block() : store.settle(admitted.held(), 80).block();
            assertThat(first).isEqualTo(Settled.SETTLED);
            assertThat(keys.pttl(RedisQuotaStore.admissionKey(model, id)).block()).as("settled").isBetween(1L, QuotaStore.KEEP_SETTLED.toMillis());
            assertThat(store.settle(admitted.held(), 80).block()).as("settled again, within the time kept").isEqualTo(Settled.BEFORE);
        }
    }

    @Test
    void withoutATestClockTheScriptsUseTheRedisServersClock() {
        RedisScriptingReactiveCommands<String, String> commands = redis.get("standalone");
        RedisQuotaStore store = new RedisQuotaStore(commands, null);
        store.load().block();
        String model = "clock-" + UUID.randomUUID();
        ScopeQuota deployment = new ScopeQuota(Scope.deployment("d"), new ScopeLimits(1_000L, 10L, ScopeLimits.CONFIG, 1));
        ScopeQuota team = new ScopeQuota(Scope.team("t", model), new ScopeLimits(null, null, ScopeLimits.CONFIG, 1));
        var server = (io.lettuce.core.api.reactive.RedisReactiveCommands<String, String>) commands;
        long before = server.time().collectList().map(RedisQuotaStoreTimes::millis).block();
        assertThat(store.admit(new QuotaStore.Admit("a", model, team, List.of(deployment), 100)).block().status()).isEqualTo(Status.ADMITTED);
        long after = server.time().collectList().map(RedisQuotaStoreTimes::millis).block();
        long stored = Long.parseLong(server.hget(Scope.modelPrefix(model) + deployment.scope().field(), "tt").block());
        assertThat(stored).as("last refill written by the script, in the server's ms").isBetween(before, after);
    }

    private static final class RedisQuotaStoreTimes {
        static long millis(List<String> time) {
            return Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
        }
    }
}
