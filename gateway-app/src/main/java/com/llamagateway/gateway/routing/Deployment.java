package com.llamagateway.gateway.routing;

import com.llamagateway.gateway.protocol.DialectName;

import java.net.URI;
import java.time.Duration;

/**
 * One backend deployment of the catalog, validated.
 *
 * @param url            base URL the dialect's paths are appended to (for {@code score}: the scoring URI)
 * @param deploymentName managed compute: the {@code azureml-model-deployment} to target, or null
 * @param capacity       the configured capacity (the admin API may change it at runtime, see the quota package)
 */
public record Deployment(String name, DeploymentKind kind, URI url, String apiKey, String model, DialectName dialect,
                         String deploymentName, String apiVersion, Duration connectTimeout, Duration readTimeout,
                         Capacity capacity) {

    /** Tokens and requests per minute the deployment can take. */
    public record Capacity(long tokensPerMinute, long requestsPerMinute) {
    }

    @Override
    public String toString() {
        return "Deployment[" + name + ", " + kind + ", " + model + ", " + dialect + ", " + url + "]"; // never the key
    }
}
