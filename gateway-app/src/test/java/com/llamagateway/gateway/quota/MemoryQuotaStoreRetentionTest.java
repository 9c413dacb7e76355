package com.llamagateway.gateway.quota;

import com.llamagateway.gateway.quota.QuotaStore.AdmitAnswer;
import com.llamagateway.gateway.quota.QuotaStore.Settled;
import com.llamagateway.gateway.quota.QuotaStore.Status;
import com.llamagateway.gateway.support.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How long the memory store remembers an admission: {@link QuotaStore#KEEP_ADMISSIONS} while it is not settled,
 * {@link QuotaStore#KEEP_SETTLED} once it is — so under sustained load it holds the requests in flight and the last
 * seconds' settled ones, not every request of the last hour. Its monotonic clock is the test's.
 */
class MemoryQuotaStoreRetentionTest {

    private static final String MODEL = "Meta-Llama-3.1-8B-Instruct";
    private static final ScopeQuota TEAM = new ScopeQuota(Scope.team("t", MODEL), new ScopeLimits(null, null, ScopeLimits.CONFIG, 1));
    private static final List<ScopeQuota> POOL =
            List.of(new ScopeQuota(Scope.deployment("d"), new ScopeLimits(50_000_000L, 50_000_000L, ScopeLimits.CONFIG, 1)));

    private final AtomicLong nanos = new AtomicLong(1_000);
    private final MemoryQuotaStore store = new MemoryQuotaStore(new ManualClock()::currentTimeMillis, MemoryQuotaStore.Seed.FULL, nanos::get);

    private AdmitAnswer admit(String id) {
        AdmitAnswer answer = store.admit(new QuotaStore.Admit(id, MODEL, TEAM, POOL, 100)).block();
        assertThat(answer.status()).isEqualTo(Status.ADMITTED);
        return answer;
    }

    private void advance(Duration by) {
        nanos.addAndGet(by.toNanos());
    }

    @Test
    void settledAdmissionsAreForgottenAfterSecondsWhileUnsettledOnesAreKept() {
        AdmitAnswer stream = admit("stream"); // in flight for as long as the test
        List<AdmitAnswer> settled = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            AdmitAnswer answer = admit("r" + i);
            assertThat(store.settle(answer.held(), 90).block()).isEqualTo(Settled.SETTLED);
            settled.add(answer);
        }
        assertThat(store.remembered(MODEL)).isEqualTo(1_001);

        advance(QuotaStore.KEEP_SETTLED.minusNanos(1));
        admit("later");
        assertThat(store.remembered(MODEL)).as("settled %s ago: kept", QuotaStore.KEEP_SETTLED.minusNanos(1)).isEqualTo(1_002);
        assertThat(store.settle(settled.get(0).held(), 90).block()).as("settled again within the time kept").isEqualTo(Settled.BEFORE);
        assertThat(store.admit(new QuotaStore.Admit("r0", MODEL, TEAM, POOL, 100)).block())
                .as("the same admission asked again within the time kept").isEqualTo(settled.get(0));

        advance(Duration.ofNanos(1));
        admit("next");
        assertThat(store.remembered(MODEL)).as("the settled ones are forgotten; the two in flight and the new one are not").isEqualTo(3);
        assertThat(store.settle(settled.get(999).held(), 90).block()).isEqualTo(Settled.UNKNOWN);

        advance(QuotaStore.KEEP_ADMISSIONS.minus(QuotaStore.KEEP_SETTLED).minusNanos(1));
        admit("last");
        assertThat(store.settle(stream.held(), 5_000).block()).as("a stream settled just under an hour after its admission")
                .isEqualTo(Settled.SETTLED);
    }

    @Test
    void anAdmissionNeverSettledIsForgottenAfterAnHour() {
        AdmitAnswer forgotten = admit("forgotten");
        advance(QuotaStore.KEEP_ADMISSIONS);
        admit("other");
        assertThat(store.remembered(MODEL)).isEqualTo(1);
        assertThat(store.settle(forgotten.held(), 90).block()).isEqualTo(Settled.UNKNOWN);
    }

    @Test
    void aRefundIsASettlement() {
        AdmitAnswer refunded = admit("refunded");
        assertThat(store.refund(refunded.held()).block()).isEqualTo(Settled.SETTLED);
        assertThat(store.settle(refunded.held(), 90).block()).isEqualTo(Settled.BEFORE);
        advance(QuotaStore.KEEP_SETTLED);
        admit("other");
        assertThat(store.remembered(MODEL)).isEqualTo(1);
    }
}
