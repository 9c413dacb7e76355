package com.llamagateway.gateway.resilience;

import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * {@code gateway.resilience.*}: how a request moves through its model's pool when a deployment fails
 * (docs/resilience.md).
 *
 * @param maxAttempts deployments tried at most per request, the first included
 * @param deadline    no further attempt starts once this long has passed since the first one began
 * @param breaker     outlier ejection of deployments
 */
public record ResilienceProperties(@DefaultValue("3") int maxAttempts, @DefaultValue("300s") Duration deadline,
                                   @DefaultValue Breaker breaker) {

    public ResilienceProperties {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("gateway.resilience.max-attempts must be at least 1, not " + maxAttempts);
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
}
