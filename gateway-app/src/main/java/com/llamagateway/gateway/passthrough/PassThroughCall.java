package com.llamagateway.gateway.passthrough;

import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.protocol.Usage;
import com.llamagateway.gateway.quota.Reservation;
import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.team.CallerTeam;
import com.llamagateway.gateway.upstream.UpstreamFailures;
import com.llamagateway.gateway.usage.RequestUsage;
import com.llamagateway.gateway.usage.UsageRecord.Outcome;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.resilience.CoolDowns;
import com.llamagateway.gateway.resilience.DeploymentBreakers;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import reactor.core.publisher.Mono;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One admitted pass-through call, from its admission to its end, which comes once: the deployment's answer written
 * whole, the call failing, or the client leaving. What it ends with:
 * <ul>
 *   <li>the deployment answered (any status but 429, 502, 503, 504): the request stays counted, and the tokens of
 *       the answer's {@code usage} ({@link UsageTap}) are charged; the breaker counts a success;</li>
 *   <li>it did not serve (no answer, or 429, 502, 503, 504 before its body): everything goes back; the breaker counts
 *       a failure — unless the gateway cut the call short (a body too large) or the client left; a 429 or 503 that
 *       asked for a wait cools the deployment down on every replica ({@link CoolDowns}), as on the translated routes;</li>
 *   <li>its answer broke off after it started: what it reported so far is charged; the breaker counts a failure.</li>
 * </ul>
 * A call the breaker did not let through (the deployment is ejected: the call still goes out, it names its one
 * deployment) is not counted by it, as on the translated routes. Its place among the deployment's calls in flight is
 * given back. Then its usage-ledger row, its meter and its log line.
 */
final class PassThroughCall {

    /** How a call ended, as its meter and log line name it. */
    enum Ending {
        /** the deployment's answer reached the client whole */
        ANSWERED("answered"),
        /** the deployment failed: unreachable, too slow, broke off, or answered 429/502/503/504 */
        FAILED("upstream_failed"),
        /** the gateway cut the request's body off (too large, or not received in time) */
        REFUSED("refused"),
        /** the client left first */
        CANCELLED("cancelled");

        final String label;

        Ending(String label) {
            this.label = label;
        }
    }

    final Deployment deployment;
    final CallerTeam team;
    final String requestId;
    final Reservation reservation;
    final long startedNanos;
    /** what is logged of the request: method and the deployment's path, never the query (it may carry a secret) */
    final String method;
    final String path;
    private final RequestUsage usage;
    /** the deployment's breaker, told how the call went (an ejected deployment's calls still go out, unrecorded) */
    private final DeploymentBreakers.Attempt attempt;
    private final Json json;
    private final int usageScanLimit;
    private final PassThroughRecorder recorder;
    /** gives back the call's place among the deployment's calls in flight */
    private final Runnable leave;
    private final CoolDowns coolDowns;
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile int status;
    private volatile UsageTap tap;
    private volatile long bytes;
    private volatile boolean clientLeft;
    /** the deployment's answer when it says it served nothing (429, 502, 503, 504), with the wait it asked for */
    private volatile GatewayError servedNothing;

    PassThroughCall(Deployment deployment, CallerTeam team, String requestId, Reservation reservation, long startedNanos,
                    String method, String path, RequestUsage usage, DeploymentBreakers.Attempt attempt, Runnable leave, CoolDowns coolDowns,
                    Json json, int usageScanLimit, PassThroughRecorder recorder) {
        this.recorder = recorder;
        this.leave = leave;
        this.coolDowns = coolDowns;
        this.deployment = deployment;
        this.team = team;
        this.requestId = requestId;
        this.reservation = reservation;
        this.startedNanos = startedNanos;
        this.method = method;
        this.path = path;
        this.usage = usage;
        this.attempt = attempt;
        this.json = json;
        this.usageScanLimit = usageScanLimit;
    }

    /** The deployment's answer starts: its status and headers are in. */
    void answering(HttpStatusCode status, HttpHeaders headers) {
        this.status = status == null ? 200 : status.value();
        String contentType = headers.getFirst(HttpHeaders.CONTENT_TYPE);
        this.tap = UsageTap.of(contentType, json, usageScanLimit);
        this.servedNothing = UpstreamFailures.servedNothing(this.status, headers);
        if (contentType != null && contentType.toLowerCase(java.util.Locale.ROOT).startsWith("text/event-stream")) {
            usage.streamed();
        }
    }

    /** A chunk of the answer on its way to the client (read, not consumed). */
    void chunk(DataBuffer buffer) {
        int length = buffer.readableByteCount();
        if (bytes == 0 && length > 0) {
            usage.firstEvent();
        }
        bytes += length;
        UsageTap current = tap;
        if (current != null && length > 0 && current.reading()) { // copied only while the tap reads
            byte[] copy = new byte[length];
            buffer.toByteBuffer(buffer.readPosition(), ByteBuffer.wrap(copy), 0, length);
            current.accept(copy, 0, length);
        }
    }

    /** The client's connection went while the answer was written to it. */
    void clientLeft() {
        clientLeft = true;
    }

    /** The status the deployment answered with; 0 while no answer has started. */
    int status() {
        return status;
    }

    long bytes() {
        return bytes;
    }

    /** Whether the deployment's answer says it served nothing: its rate limit, or it is unavailable. */
    boolean notServed() {
        return servedNothing != null;
    }

    /**
     * Ends the call (only the first ending counts) and settles it.
     *
     * @param ending how it ended
     * @param error  the deployment's failure, as the gateway names it (null where the deployment is not to blame)
     */
    Mono<Void> end(Ending ending, GatewayError error) {
        if (!ended.compareAndSet(false, true)) {
            return Mono.empty();
        }
        long took = System.nanoTime() - startedNanos;
        leave.run();
        boolean started = status != 0;
        Usage used = started && !notServed() && tap != null ? tap.usage() : null;
        Usage settled = used != null ? used : new Usage(0, 0, 0);
        Ending resolved = ending != Ending.ANSWERED ? ending : clientLeft ? Ending.CANCELLED : notServed() ? Ending.FAILED : ending;

        if (resolved == Ending.ANSWERED) {
            attempt.succeeded();
        } else if (resolved == Ending.FAILED) { // the deployment's failure: it could not be reached, timed out, broke off, served nothing
            attempt.failed(error != null ? error : servedNothing);
        } else {
            attempt.released(); // the call says nothing about the deployment
        }

        boolean refund = !started || notServed();
        usage.attempt(deployment.name(), 0, 0);
        usage.used(settled, null);
        if (started && !notServed()) {
            usage.answered();
        }
        usage.finish(switch (resolved) {
            case ANSWERED -> status < 500 ? Outcome.OK : Outcome.UPSTREAM_ERROR;
            case CANCELLED -> Outcome.CANCELLED;
            case FAILED, REFUSED -> Outcome.UPSTREAM_ERROR;
        });
        recorder.ended(this, resolved, took, used);
        if (!refund) {
            return reservation.settle(settled);
        }
        GatewayError nothing = servedNothing; // its wait, if it asked for one, keeps every replica away (CoolDowns)
        return (nothing == null ? Mono.<Void>empty() : coolDowns.after(requestId, deployment, nothing)).then(reservation.refund());
    }
}
