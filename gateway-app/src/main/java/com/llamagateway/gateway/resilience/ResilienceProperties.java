package com.llamagateway.gateway.resilience;

import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * {@code gateway.resilience.*}: how a request moves through its model's pool when a deployment fails
 * (docs/resilience.md).
 *
 * @param maxAttempts deployments tried at most per request, the first included
 * @param deadline    no further attempt starts once this long has passed since the first one began
 */
public record ResilienceProperties(@DefaultValue("3") int maxAttempts, @DefaultValue("300s") Duration deadline) {

    public ResilienceProperties {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("gateway.resilience.max-attempts must be at least 1, not " + maxAttempts);
        }
    }
}
