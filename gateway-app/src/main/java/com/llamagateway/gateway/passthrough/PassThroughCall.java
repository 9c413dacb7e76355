package com.llamagateway.gateway.passthrough;

import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.protocol.Usage;
import com.llamagateway.gateway.quota.Reservation;
import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.team.CallerTeam;
import com.llamagateway.gateway.usage.RequestUsage;
import com.llamagateway.gateway.usage.UsageRecord.Outcome;
import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.resilience.CoolDowns;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import reactor.core.publisher.Mono;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
        /** the gateway cut the request's body off (too large) */
        REFUSED("refused"),
        /** the client left first */
        CANCELLED("cancelled");

        final String label;

        Ending(String label) {
            this.label = label;
        }
    }

    /** What the breaker is told of an answer that served nothing (429, 502, 503, 504). */
    private static final Exception NOT_SERVED = new Exception("the deployment answered that it served nothing");

    final Deployment deployment;
    final CallerTeam team;
    final String requestId;
    final Reservation reservation;
    final long startedNanos;
    /** what is logged of the request: method and the deployment's path, never the query (it may carry a secret) */
    final String method;
    final String path;
    private final RequestUsage usage;
    private final CircuitBreaker breaker;
    /** whether the breaker let the call through (an ejected deployment's calls still go out, unrecorded) */
    private final boolean recorded;
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
    /** the deployment's 429 or 503 with what it said of waiting, for its cool-down */
    private volatile GatewayError askedToWait;

    PassThroughCall(Deployment deployment, CallerTeam team, String requestId, Reservation reservation, long startedNanos,
                    String method, String path, RequestUsage usage, CircuitBreaker breaker, Runnable leave, CoolDowns coolDowns,
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
        this.breaker = breaker;
        this.recorded = breaker.tryAcquirePermission();
        this.json = json;
        this.usageScanLimit = usageScanLimit;
    }

    /** The deployment's answer starts: its status and headers are in. */
    void answering(HttpStatusCode status, HttpHeaders headers) {
        this.status = status == null ? 200 : status.value();
        String contentType = headers.getFirst(HttpHeaders.CONTENT_TYPE);
        this.tap = UsageTap.of(contentType, json, usageScanLimit);
        if (this.status == 429 || this.status == 503) {
            Map<String, String> wait = new HashMap<>(); // the names CoolDowns reads
            putIfPresent(wait, "retry-after-ms", headers.getFirst("retry-after-ms"));
            putIfPresent(wait, "Retry-After", headers.getFirst(HttpHeaders.RETRY_AFTER));
            askedToWait = new GatewayError(HttpStatus.valueOf(this.status), this.status == 429 ? ErrorCode.UPSTREAM_RATE_LIMITED
                    : ErrorCode.UPSTREAM_UNAVAILABLE, "The deployment answered " + this.status + ".", null, wait);
        }
        if (contentType != null && contentType.toLowerCase(java.util.Locale.ROOT).startsWith("text/event-stream")) {
            usage.streamed();
        }
    }

    private static void putIfPresent(Map<String, String> map, String name, String value) {
        if (value != null) {
            map.put(name, value);
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
        return status == 429 || status == 502 || status == 503 || status == 504;
    }

    /**
     * Ends the call (only the first ending counts) and settles it.
     *
     * @param ending how it ended
     * @param error  what failed (a failure the deployment is not to blame for: null)
     */
    Mono<Void> end(Ending ending, Throwable error) {
        if (!ended.compareAndSet(false, true)) {
            return Mono.empty();
        }
        long took = System.nanoTime() - startedNanos;
        leave.run();
        boolean started = status != 0;
        Usage used = started && !notServed() && tap != null ? tap.usage() : null;
        Usage settled = used != null ? used : new Usage(0, 0, 0);
        Ending resolved = ending != Ending.ANSWERED ? ending : clientLeft ? Ending.CANCELLED : notServed() ? Ending.FAILED : ending;

        if (recorded) {
            if (resolved == Ending.ANSWERED) {
                breaker.onSuccess(took, TimeUnit.NANOSECONDS);
            } else if (resolved == Ending.FAILED && (error != null || notServed())) {
                breaker.onError(took, TimeUnit.NANOSECONDS, error != null ? error : NOT_SERVED);
            } else {
                breaker.releasePermission(); // the call says nothing about the deployment
            }
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
        GatewayError asked = askedToWait;
        return (asked == null ? Mono.<Void>empty() : coolDowns.after(requestId, deployment, asked)).then(reservation.refund());
    }
}
