package com.llamagateway.gateway.resilience;

import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.routing.Deployment;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * When a failed attempt goes to the next deployment of the pool: only for failures that say nothing about the
 * request itself — the deployment could not be reached, timed out, is rate limited (429), unavailable (503) or failed
 * (502) — and only before anything of the answer has reached the client. Never for 400/401/403/404/413/422: another
 * deployment of the same model would refuse the same request. Bounded by {@code max-attempts} and the deadline.
 */
public final class Failover {

    private static final Logger log = LoggerFactory.getLogger(Failover.class);

    private final int maxAttempts;
    private final Duration deadline;
    private final MeterRegistry registry;

    /** @param registry where {@code gateway.attempts.failed} (per deployment, and whether another attempt followed) goes */
    public Failover(ResilienceProperties properties, MeterRegistry registry) {
        this.maxAttempts = properties.maxAttempts();
        this.deadline = properties.deadline();
        this.registry = registry;
    }

    /** A request's attempts so far: the deployments tried and how each failed. */
    public static final class Attempts {
        private final long startedNanos = System.nanoTime();
        private final List<Deployment> tried = new ArrayList<>();
        private final List<GatewayError> failures = new ArrayList<>();

        public void started(Deployment deployment) {
            tried.add(deployment);
        }

        public int count() {
            return tried.size();
        }

        /** The pool without the deployments tried already, in its order. */
        public List<Deployment> untried(List<Deployment> pool) {
            return pool.stream().filter(d -> tried.stream().noneMatch(t -> t.name().equals(d.name()))).toList();
        }
    }

    /** Whether the failure is the deployment's, not the request's: another deployment may serve the request. */
    public static boolean retryable(Throwable error) {
        if (!(error instanceof GatewayError e)) {
            return false;
        }
        return switch (e.code()) {
            case ErrorCode.UPSTREAM_RATE_LIMITED, ErrorCode.UPSTREAM_UNAVAILABLE, ErrorCode.UPSTREAM_TIMEOUT -> true;
            case ErrorCode.UPSTREAM_ERROR -> e.status().value() == 502;
            default -> false;
        };
    }

    /**
     * Records a failed attempt; answers whether another may start on one of {@code untried}.
     */
    public boolean another(String requestId, Attempts attempts, Throwable error, List<Deployment> untried) {
        Deployment failed = attempts.tried.get(attempts.tried.size() - 1);
        boolean retryable = retryable(error);
        if (retryable) {
            attempts.failures.add((GatewayError) error);
        }
        boolean more = retryable && !untried.isEmpty() && attempts.count() < maxAttempts
                && Duration.ofNanos(System.nanoTime() - attempts.startedNanos).compareTo(deadline) < 0;
        if (retryable) {
            registry.counter("gateway.attempts.failed", "deployment", failed.name(), "status", String.valueOf(((GatewayError) error).status().value()),
                    "next", more ? "failover" : "none").increment();
            log.info("Request {}: attempt {} on deployment {} failed ({} {}){}", requestId, attempts.count(), failed.name(),
                    ((GatewayError) error).status().value(), ((GatewayError) error).code(),
                    more ? "; failing over to " + untried.get(0).name() : "; no further attempt");
        }
        return more;
    }

    /**
     * What the client gets when no further attempt starts: the last failure, except that a 429 carries the shortest
     * wait any attempt was told.
     */
    public static Throwable outcome(Attempts attempts, Throwable last) {
        if (!(last instanceof GatewayError error) || error.status().value() != 429) {
            return last;
        }
        GatewayError shortest = error;
        for (GatewayError failure : attempts.failures) {
            if (failure.status().value() == 429 && retryAfterMillis(failure) < retryAfterMillis(shortest)) {
                shortest = failure;
            }
        }
        return shortest;
    }

    private static long retryAfterMillis(GatewayError error) {
        String millis = error.headers().get("retry-after-ms");
        String seconds = error.headers().get("Retry-After");
        try {
            if (millis != null) {
                return Long.parseLong(millis);
            }
            return seconds != null ? Long.parseLong(seconds) * 1000 : Long.MAX_VALUE;
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }
}
