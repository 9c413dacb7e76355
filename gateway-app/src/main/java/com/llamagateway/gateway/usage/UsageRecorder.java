package com.llamagateway.gateway.usage;

import java.time.Clock;

/** Where every admitted request ends: its row in the ledger, its GenAI meters. */
public final class UsageRecorder {

    private final GenAiMeters meters;
    private final UsageLedger ledger;
    private final Clock clock;

    /** @param ledger null when {@code gateway.usage.ledger} is off */
    public UsageRecorder(GenAiMeters meters, UsageLedger ledger, Clock clock) {
        this.meters = meters;
        this.ledger = ledger;
        this.clock = clock;
    }

    /** A request admitted now, that started {@code startNanos} ({@link System#nanoTime()}). */
    public RequestUsage start(RequestUsage.Caller caller, long startNanos) {
        return new RequestUsage(this, caller, clock.instant(), startNanos);
    }

    void record(UsageRecord record, String responseModel, long durationNanos, long firstEventNanos) {
        meters.record(record, responseModel, durationNanos, firstEventNanos);
        if (ledger != null) {
            ledger.offer(record);
        }
    }
}
