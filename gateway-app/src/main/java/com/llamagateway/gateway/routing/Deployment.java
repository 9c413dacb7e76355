package com.llamagateway.gateway.routing;

import com.llamagateway.gateway.protocol.DialectName;

import java.net.URI;
import java.time.Duration;

/**
 * One backend deployment of the catalog, validated.
 *
 * @param url            base URL the dialect's paths are appended to (for {@code score}: the scoring URI)
 * @param deploymentName managed compute: the {@code azureml-model-deployment} to target, or null
 * @param timeouts       how long the gateway waits for it
 * @param maxConcurrent  requests (streams until they end) the gateway has in flight on it at most
 * @param capacity       the configured capacity (the admin API may change it at runtime, see the quota package)
 * @param preference     where it stands in its model's pool
 * @param passThrough    whether {@code /deployments/<name>/**} reaches its own API untranslated
 */
public record Deployment(String name, DeploymentKind kind, URI url, String apiKey, String model, DialectName dialect,
                         String deploymentName, String apiVersion, Timeouts timeouts, int maxConcurrent, Capacity capacity,
                         Preference preference, boolean passThrough) {

    /**
     * A deployment of the default preference (priority 0, weight 1) whose first byte and stream gaps share one
     * timeout.
     */
    public Deployment(String name, DeploymentKind kind, URI url, String apiKey, String model, DialectName dialect,
                      String deploymentName, String apiVersion, Duration connectTimeout, Duration readTimeout, Capacity capacity) {
        this(name, kind, url, apiKey, model, dialect, deploymentName, apiVersion, new Timeouts(connectTimeout, readTimeout, readTimeout),
                DEFAULT_MAX_CONCURRENT, capacity, Preference.DEFAULT, true);
    }

    /**
     * The root of the deployment's own API: its URL, without the {@code /score} of a managed-compute scoring URI
     * (so that {@code <root>/score}, {@code <root>/swagger.json} and the engine's other routes are under it).
     */
    public URI root() {
        String text = url.toString();
        return dialect == DialectName.SCORE && text.endsWith("/score") ? URI.create(text.substring(0, text.length() - "/score".length())) : url;
    }

    /** {@code gateway.resilience.bulkhead.max-concurrent}'s default: thousands of streams on one deployment. */
    public static final int DEFAULT_MAX_CONCURRENT = 10_000;

    /**
     * @param connect    TCP connect
     * @param firstByte  from sending the request to the first byte of the answer's content: a non-streamed answer's
     *                   headers (its body follows), a stream's first event
     * @param streamIdle the longest gap between two events of a stream (and between two reads of a non-streamed body)
     */
    public record Timeouts(Duration connect, Duration firstByte, Duration streamIdle) {
    }

    /**
     * @param priority lower is tried first; the pool's next priority only once every member of this one was tried
     *                 or has no room
     * @param weight   among the members of one priority, how often it comes first (relative to the others' weights);
     *                 null: not set — a priority whose members set no weight keeps the configuration order
     */
    public record Preference(int priority, Integer weight) {

        public static final Preference DEFAULT = new Preference(0, null);

        int weightOrOne() {
            return weight == null ? 1 : weight;
        }
    }

    /** Tokens and requests per minute the deployment can take. */
    public record Capacity(long tokensPerMinute, long requestsPerMinute) {
    }

    @Override
    public String toString() {
        return "Deployment[" + name + ", " + kind + ", " + model + ", " + dialect + ", " + url + "]"; // never the key
    }
}
