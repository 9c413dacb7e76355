package com.llamagateway.gateway.resilience;

import com.llamagateway.gateway.routing.Deployment;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * {@code gateway.resilience.*}: how a request moves through its model's pool when a deployment fails
 * (docs/resilience.md).
 *
 * @param maxAttempts deployments tried at most per request, the first included
 * @param deadline    no further attempt starts once this long has passed since the first one began
 * @param firstByteTimeout  each deployment's default: from sending a request to the first byte of the answer's
 *                          content — a non-streamed answer's headers, which come once it is generated whole; a
 *                          stream's first event
 * @param streamIdleTimeout each deployment's default: the longest gap between two events of a stream
 * @param breaker     outlier ejection of deployments
 * @param coolDown    how a deployment's Retry-After is honoured
 * @param bulkhead    how many requests a deployment has in flight at most
 */
public record ResilienceProperties(@DefaultValue("3") int maxAttempts, @DefaultValue("300s") Duration deadline,
                                   @DefaultValue("120s") Duration firstByteTimeout, @DefaultValue("30s") Duration streamIdleTimeout,
                                   @DefaultValue Breaker breaker, @DefaultValue CoolDown coolDown, @DefaultValue Bulkhead bulkhead) {

    public ResilienceProperties {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("gateway.resilience.max-attempts must be at least 1, not " + maxAttempts);
        }
        if (firstByteTimeout.isNegative() || firstByteTimeout.isZero() || streamIdleTimeout.isNegative() || streamIdleTimeout.isZero()) {
            throw new IllegalArgumentException("gateway.resilience.first-byte-timeout and stream-idle-timeout must be positive");
        }
    }

    /**
     * @param failures    attempts failed in a row (by the deployment's fault) that eject it
     * @param ejection    how long the first ejection lasts; each one after a failed probe lasts twice the last
     * @param maxEjection the longest an ejection lasts
     */
    public record Breaker(@DefaultValue("5") int failures, @DefaultValue("30s") Duration ejection,
                          @DefaultValue("300s") Duration maxEjection) {

        public Breaker {
            if (failures < 1) {
                throw new IllegalArgumentException("gateway.resilience.breaker.failures must be at least 1, not " + failures);
            }
        }
    }

    /**
     * @param max         the longest cool-down a deployment's Retry-After starts (a longer one is cut to this)
     * @param retryWithin a pool of one deployment retries it once after its Retry-After when that is at most this
     *                    long (and fits the deadline); 0 never retries
     */
    public record CoolDown(@DefaultValue("300s") Duration max, @DefaultValue("10s") Duration retryWithin) {

        public CoolDown {
            if (max.isNegative() || retryWithin.isNegative()) {
                throw new IllegalArgumentException("gateway.resilience.cool-down.max and retry-within must not be negative");
            }
        }
    }

    /**
     * @param maxConcurrent each deployment's default ({@code gateway.deployments.<name>.max-concurrent}): requests in
     *                      flight on it at most, a stream counted until it ends; one more goes to another member of
     *                      the pool (or gets 503 {@code deployment_busy}) instead of queueing for a connection
     */
    public record Bulkhead(@DefaultValue("" + Deployment.DEFAULT_MAX_CONCURRENT) int maxConcurrent) {

        public Bulkhead {
            if (maxConcurrent < 1) {
                throw new IllegalArgumentException("gateway.resilience.bulkhead.max-concurrent must be at least 1, not " + maxConcurrent);
            }
        }
    }
}
