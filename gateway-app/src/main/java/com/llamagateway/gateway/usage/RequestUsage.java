package com.llamagateway.gateway.usage;

import com.llamagateway.gateway.protocol.Usage;
import com.llamagateway.gateway.usage.UsageRecord.Outcome;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the pipeline learns about one admitted request while it is served — the deployment, the usage settled, the
 * first event, a content-filter cut — until it ends, once: then it becomes a {@link UsageRecord} for the ledger and
 * the meters. Written from whichever thread the request's signals arrive on.
 */
public final class RequestUsage {

    /** The caller: who asked for what, in which dialect. */
    public record Caller(String requestId, String teamId, String teamName, String keyId, String model, String dialect, String operation,
                         boolean streamed) {
    }

    private final UsageRecorder recorder;
    private final Caller caller;
    private final Instant at;
    private final long startNanos;
    private final AtomicBoolean finished = new AtomicBoolean();
    private volatile String deployment;
    private volatile long estimatedPromptTokens;
    private volatile long reservedTokens;
    private volatile Usage usage;
    private volatile String responseModel;
    private volatile long firstEventNanos;
    private volatile boolean contentFiltered;
    private volatile boolean answered;
    private volatile boolean streamed;

    RequestUsage(UsageRecorder recorder, Caller caller, Instant at, long startNanos) {
        this.recorder = recorder;
        this.caller = caller;
        this.at = at;
        this.startNanos = startNanos;
        this.streamed = caller.streamed();
    }

    /** The answer turned out to be an event stream (pass-through learns it from the deployment's answer). */
    public void streamed() {
        streamed = true;
    }

    /** An attempt on {@code deployment}, admitted with these estimates (a failover replaces the earlier one). */
    public void attempt(String deployment, long estimatedPromptTokens, long reservedTokens) {
        this.deployment = deployment;
        this.estimatedPromptTokens = estimatedPromptTokens;
        this.reservedTokens = reservedTokens;
    }

    /** The usage the request was settled with, and the model the deployment said it ran (null: not said). */
    public void used(Usage value, String reportedModel) {
        this.usage = value;
        if (reportedModel != null && !reportedModel.isBlank()) {
            this.responseModel = reportedModel;
        }
    }

    /** A stream's first event is on its way to the client (later calls change nothing). */
    public void firstEvent() {
        if (firstEventNanos == 0) {
            firstEventNanos = System.nanoTime();
        }
    }

    /** The answer, or part of it, was withheld by a content filter (the gateway's or the deployment's). */
    public void contentFiltered() {
        contentFiltered = true;
    }

    /** The answer is on its way: a complete body ends the request now; a stream ends with its last event. */
    public void answered() {
        answered = true;
    }

    /** The client left before any answer was on its way (after that, the stream's own end counts). */
    public void cancelledBeforeAnswer() {
        if (!answered) {
            finish(Outcome.CANCELLED);
        }
    }

    /** Ends the request, once; {@code OK} after a content-filter cut counts as {@code CONTENT_FILTERED}. */
    public void finish(Outcome outcome) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        long now = System.nanoTime();
        Outcome resolved = outcome == Outcome.OK && contentFiltered ? Outcome.CONTENT_FILTERED : outcome;
        Usage settled = usage;
        long first = firstEventNanos;
        recorder.record(new UsageRecord(caller.requestId(), at, caller.teamId(), caller.teamName(), caller.keyId(), caller.model(),
                deployment, caller.dialect(), caller.operation(), streamed,
                settled == null ? 0 : settled.promptTokens(), settled == null ? 0 : settled.completionTokens(),
                estimatedPromptTokens, reservedTokens, resolved, (now - startNanos) / 1_000_000,
                streamed && first != 0 ? (first - startNanos) / 1_000_000 : null), responseModel, now - startNanos,
                first == 0 ? -1 : first - startNanos);
    }
}
