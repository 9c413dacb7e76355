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
 * (502), or has as many requests in flight as its bulkhead allows — and only before anything of the answer has
 * reached the client. Never for 400/401/403/404/413/422: another
 * deployment of the same model would refuse the same request. Bounded by {@code max-attempts} and the deadline.
 */
public final class Failover {

    private static final Logger log = LoggerFactory.getLogger(Failover.class);

    private final int maxAttempts;
    private final Duration deadline;
    private final Duration retryWithin;
    private final MeterRegistry registry;

    /** @param registry where {@code gateway.attempts.failed} (per deployment, and whether another attempt followed) goes */
    public Failover(ResilienceProperties properties, MeterRegistry registry) {
        this.maxAttempts = properties.maxAttempts();
        this.deadline = properties.deadline();
        this.retryWithin = properties.coolDown().retryWithin();
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
            case ErrorCode.UPSTREAM_RATE_LIMITED, ErrorCode.UPSTREAM_UNAVAILABLE, ErrorCode.UPSTREAM_TIMEOUT, ErrorCode.DEPLOYMENT_BUSY -> true;
            case ErrorCode.UPSTREAM_ERROR -> e.status().value() == 502;
            default -> false;
        };
    }

    /**
     * The attempt after a failed one: on {@code members}, admitted afresh, after {@code after} (null: at once).
     */
    public record Next(List<Deployment> members, Duration after) {
    }

    /**
     * Records a failed attempt; answers the next one, or null when none follows: the failure is the request's, the
     * attempts or the deadline are used up, or no member of {@code pool} is left to try — except that the one member
     * of a pool that asked for a short wait is tried once more after it ({@link #retryTheSameAfter}).
     */
    public Next next(String requestId, Attempts attempts, Throwable error, List<Deployment> pool) {
        if (!retryable(error)) {
            return null;
        }
        GatewayError failure = (GatewayError) error;
        attempts.failures.add(failure);
        Deployment failed = attempts.tried.get(attempts.tried.size() - 1);
        List<Deployment> untried = attempts.untried(pool);
        boolean inTime = Duration.ofNanos(System.nanoTime() - attempts.startedNanos).compareTo(deadline) < 0;
        Next next = null;
        String then = "; no further attempt";
        if (!untried.isEmpty() && attempts.count() < maxAttempts && inTime) {
            next = new Next(untried, null);
            then = "; failing over to " + (untried.size() == 1 ? untried.get(0).name() : "the other " + untried.size() + " deployments of the pool");
        } else {
            Duration wait = retryTheSameAfter(attempts, error, pool);
            if (wait != null) {
                next = new Next(pool, wait);
                then = "; trying it once more after the " + wait.toMillis() + " ms it asked for";
            }
        }
        registry.counter("gateway.attempts.failed", "deployment", failed.name(), "status", String.valueOf(failure.status().value()),
                "next", next == null ? "none" : next.after() == null ? "failover" : "retry").increment();
        log.info("Request {}: attempt {} on deployment {} failed ({} {}){}", requestId, attempts.count(), failed.name(),
                failure.status().value(), failure.code(), then);
        return next;
    }

    /** Logs the attempt that served a request after others failed (a first attempt that serves is not logged). */
    public void served(String requestId, Attempts attempts) {
        if (attempts.count() > 1) {
            log.info("Request {}: attempt {} on deployment {} served it", requestId, attempts.count(), attempts.tried.get(attempts.tried.size() - 1).name());
        }
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
        long asked = CoolDowns.askedMillis(error);
        return asked < 0 ? Long.MAX_VALUE : asked;
    }

    /**
     * Whether the one deployment of a pool that asked for a wait (429/503 with a Retry-After) is tried once more
     * after it: the pool has no other member, this was the first attempt, and the wait is at most
     * {@code cool-down.retry-within} and ends before the deadline. Answers the wait, or null.
     */
    private Duration retryTheSameAfter(Attempts attempts, Throwable error, List<Deployment> pool) {
        long asked = CoolDowns.askedMillis(error);
        if (pool.size() != 1 || attempts.count() != 1 || asked <= 0 || attempts.count() >= maxAttempts) {
            return null;
        }
        Duration wait = Duration.ofMillis(asked);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - attempts.startedNanos);
        if (wait.compareTo(retryWithin) > 0 || elapsed.plus(wait).compareTo(deadline) >= 0) {
            return null;
        }
        return wait;
    }
}
