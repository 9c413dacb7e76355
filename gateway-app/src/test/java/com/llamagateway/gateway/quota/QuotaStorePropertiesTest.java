package com.llamagateway.gateway.quota;

import com.llamagateway.gateway.quota.QuotaStore.AdmitAnswer;
import com.llamagateway.gateway.quota.QuotaStore.Levels;
import com.llamagateway.gateway.quota.QuotaStore.Settled;
import com.llamagateway.gateway.quota.QuotaStore.Status;
import com.llamagateway.gateway.support.ManualClock;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.BeforeTry;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Properties of the store's semantics, on {@link MemoryQuotaStore} (the Redis scripts compute the same numbers, see
 * {@link QuotaStoreDifferentialTest}): over any interval no more than one bucket's worth is used; a refusal changes
 * nothing; the same admission asked twice debits once; a second settlement changes nothing; levels stay within one
 * minute's limit either side of zero.
 */
class QuotaStorePropertiesTest {

    private static final String MODEL = "Meta-Llama-3.1-8B-Instruct";

    /** Wait this long, then ask for {@code tokens}, then (if admitted) settle with {@code usedPercent} of them. */
    record Step(long waitMillis, long tokens, int usedPercent, boolean team) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Long> waits = Arbitraries.oneOf(Arbitraries.just(0L), Arbitraries.longs().between(1, 2_000),
                Arbitraries.longs().between(2_000, 90_000));
        Arbitrary<Step> step = Combinators.combine(waits, Arbitraries.longs().between(1, 3_000), Arbitraries.integers().between(0, 100),
                Arbitraries.of(true, false)).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(80);
    }

    /** jqwik keeps one instance for all tries of a property: each try starts from a new store. */
    private ManualClock clock;
    private MemoryQuotaStore store;

    @BeforeTry
    void newStore() {
        clock = new ManualClock();
        store = new MemoryQuotaStore(clock::currentTimeMillis, MemoryQuotaStore.Seed.FULL);
    }

    private static ScopeQuota deployment(long tokensPerMinute, long requestsPerMinute) {
        return new ScopeQuota(Scope.deployment("d"), new ScopeLimits(tokensPerMinute, requestsPerMinute, ScopeLimits.CONFIG, 1));
    }

    private static ScopeQuota team(String id, Long tokensPerMinute, Long requestsPerMinute) {
        return new ScopeQuota(Scope.team(id, MODEL), new ScopeLimits(tokensPerMinute, requestsPerMinute, ScopeLimits.ADMIN, 1));
    }

    private QuotaStore.Admit admit(ScopeQuota team, List<ScopeQuota> pool, long tokens) {
        return new QuotaStore.Admit(UUID.randomUUID().toString(), MODEL, team, pool, tokens);
    }

    private record Used(long atMillis, long tokens) {
    }

    @Property(tries = 200)
    void overAnyIntervalAtMostOneBucketsWorthIsUsed(@ForAll("steps") List<Step> steps,
                                                    @ForAll @LongRange(min = 1_000, max = 20_000) long tokensPerMinute,
                                                    @ForAll @IntRange(min = 1, max = 30) int requestsPerMinute) {
        ScopeQuota deployment = deployment(tokensPerMinute, requestsPerMinute);
        ScopeQuota team = team("t", null, null);
        List<Used> used = new ArrayList<>();
        for (Step step : steps) {
            clock.advance(Duration.ofMillis(step.waitMillis()));
            AdmitAnswer answer = store.admit(admit(team, List.of(deployment), step.tokens())).block();
            if (answer.status() == Status.ADMITTED) {
                long tokens = step.tokens() * step.usedPercent() / 100;
                assertThat(store.settle(answer.held(), tokens).block()).isEqualTo(Settled.SETTLED);
                used.add(new Used(clock.currentTimeMillis(), tokens));
            }
        }
        for (int i = 0; i < used.size(); i++) {
            long tokens = 0;
            for (int j = i; j < used.size(); j++) {
                tokens += used.get(j).tokens();
                long interval = used.get(j).atMillis() - used.get(i).atMillis();
                assertThat(tokens).as("tokens used in %d ms", interval).isLessThanOrEqualTo(tokensPerMinute + tokensPerMinute * interval / 60_000);
                assertThat((long) j - i + 1).as("requests in %d ms", interval)
                        .isLessThanOrEqualTo(requestsPerMinute + requestsPerMinute * interval / 60_000);
            }
        }
    }

    @Property(tries = 200)
    void aRefusalChangesNothingAndTheSameAdmissionTwiceDebitsOnce(@ForAll("steps") List<Step> steps) {
        List<ScopeQuota> pool = List.of(deployment(4_000, 6), new ScopeQuota(Scope.deployment("spare"),
                new ScopeLimits(2_000L, 3L, ScopeLimits.CONFIG, 1)));
        ScopeQuota limitedTeam = team("limited", 5_000L, 8L);
        ScopeQuota freeTeam = team("free", null, null);
        for (Step step : steps) {
            clock.advance(Duration.ofMillis(step.waitMillis()));
            ScopeQuota team = step.team() ? limitedTeam : freeTeam;
            List<Levels> before = levels(team, pool);
            QuotaStore.Admit admit = admit(team, pool, step.tokens());
            AdmitAnswer answer = store.admit(admit).block();
            List<Levels> after = levels(team, pool);
            if (answer.status() != Status.ADMITTED) {
                assertThat(after).as("refused: %s", answer.status()).isEqualTo(before);
                continue;
            }
            assertThat(store.admit(admit).block()).as("asked again").isEqualTo(answer);
            assertThat(levels(team, pool)).as("asked again: nothing more taken").isEqualTo(after);
            // the admitted member is the first with room: every member before it refuses the same request alone
            for (int i = 0; i < answer.member(); i++) {
                AdmitAnswer alone = store.admit(admit(freeTeam, List.of(pool.get(i)), step.tokens())).block();
                assertThat(alone.status()).isIn(Status.NO_ROOM, Status.POOL_NEVER_FITS);
            }
            long used = step.tokens() * step.usedPercent() / 50; // up to twice the reservation
            assertThat(store.settle(answer.held(), used).block()).isEqualTo(Settled.SETTLED);
            List<Levels> settled = levels(team, pool);
            assertThat(store.settle(answer.held(), 1).block()).isEqualTo(Settled.BEFORE);
            assertThat(store.refund(answer.held()).block()).isEqualTo(Settled.BEFORE);
            assertThat(levels(team, pool)).as("settled twice: once").isEqualTo(settled);
            for (Levels levels : settled) {
                for (Unit unit : Unit.values()) {
                    if (levels.limits(unit)) {
                        assertThat(levels.left(unit)).isBetween(-levels.limit(unit), levels.limit(unit));
                    }
                }
            }
        }
    }

    private List<Levels> levels(ScopeQuota team, List<ScopeQuota> pool) {
        List<Levels> levels = new ArrayList<>();
        levels.add(store.peek(MODEL, team).block().levels());
        pool.forEach(member -> levels.add(store.peek(MODEL, member).block().levels()));
        return levels;
    }

    @Property(tries = 50)
    void aRefundGivesBackEverythingTheAdmissionTook(@ForAll @Size(min = 1, max = 20) List<@LongRange(min = 1, max = 900) Long> tokens) {
        ScopeQuota team = team("t", 10_000L, 50L);
        List<ScopeQuota> pool = List.of(deployment(20_000, 100));
        List<Levels> start = levels(team, pool);
        List<QuotaStore.Held> held = new ArrayList<>();
        for (long n : tokens) {
            held.add(store.admit(admit(team, pool, n)).block().held());
        }
        held.forEach(h -> assertThat(store.refund(h).block()).isEqualTo(Settled.SETTLED));
        assertThat(levels(team, pool)).isEqualTo(start);
    }
}
