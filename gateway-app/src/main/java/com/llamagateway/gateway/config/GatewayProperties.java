package com.llamagateway.gateway.config;

import com.llamagateway.gateway.passthrough.PassThroughProperties;
import com.llamagateway.gateway.routing.DeploymentKind;
import com.llamagateway.gateway.protocol.DialectName;
import com.llamagateway.gateway.quota.QuotaProperties;
import com.llamagateway.gateway.resilience.ResilienceProperties;
import com.llamagateway.gateway.usage.UsageProperties;
import com.llamagateway.gateway.tokens.TokenizerProperties;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * Everything under {@code gateway.*} (see docs/configuration.md).
 *
 * @param deployments the catalog: deployment name → where it is and which model it serves; empty means the
 *                    embedded default (simulated deployments in this process)
 * @param dataDir     where the embedded default keeps its H2 database and generated admin token
 */
@ConfigurationProperties("gateway")
public record GatewayProperties(
        Map<String, Deployment> deployments,
        @DefaultValue("./data") String dataDir,
        @DefaultValue Request request,
        @DefaultValue Upstream upstream,
        @DefaultValue Simulator simulator,
        @DefaultValue Admin admin,
        @DefaultValue Keys keys,
        @DefaultValue QuotaProperties quota,
        @DefaultValue TokenizerProperties tokenizer,
        @DefaultValue Safety safety,
        @DefaultValue ResilienceProperties resilience,
        @DefaultValue UsageProperties usage,
        @DefaultValue PassThroughProperties passthrough) {

    public GatewayProperties {
        // configuration order is the pool's order of preference: keep it
        deployments = deployments == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(deployments));
    }

    /**
     * One backend deployment.
     *
     * @param kind           serverless | managed-compute
     * @param url            serverless: the endpoint's target URL; managed compute: its scoring URI ({@code …/score})
     * @param apiKey         the deployment's key (from the environment, never written in the file)
     * @param model          the public model name it serves; deployments with the same model form that model's pool
     * @param dialect        how the gateway speaks to it: v1 | azure-inference | score (default: v1 for serverless,
     *                       score for managed compute)
     * @param deploymentName managed compute: sent as {@code azureml-model-deployment}
     * @param apiVersion     azure-inference: the {@code api-version} query parameter (default {@code gateway.upstream.api-version})
     * @param connectTimeout overrides {@code gateway.upstream.connect-timeout}
     * @param firstByteTimeout  overrides {@code gateway.resilience.first-byte-timeout}
     * @param streamIdleTimeout overrides {@code gateway.resilience.stream-idle-timeout}
     * @param readTimeout    deprecated: first-byte and stream-idle timeout in one, where those are not set
     * @param maxConcurrent  overrides {@code gateway.resilience.bulkhead.max-concurrent}
     * @param limits         the deployment's capacity; unset units take {@code gateway.quota.deployment-default}
     * @param priority       its pool's members are tried by priority, lower first (default 0)
     * @param weight         among the members of one priority, how often it is tried first, 1 to 1000 (default 1)
     * @param passthrough    false: no pass-through route {@code /deployments/<name>/**} to it (default true, while
     *                       {@code gateway.passthrough.enabled})
     */
    public record Deployment(DeploymentKind kind, URI url, String apiKey, String model, DialectName dialect,
                             String deploymentName, String apiVersion, Duration connectTimeout, Duration firstByteTimeout,
                             Duration streamIdleTimeout, Duration readTimeout, Integer maxConcurrent, QuotaProperties.Limits limits,
                             Integer priority, Integer weight, Boolean passthrough) {
    }

    /**
     * Bounds on what a client may send.
     *
     * @param maxBodySize     larger bodies are refused with 413, with or without Content-Length
     * @param maxNestingDepth deeper JSON is refused with 400
     * @param headerTimeout   the request line and headers must arrive within this, counted from the connection's first
     *                        byte of the request; else 408 and the connection is closed
     * @param bodyTimeout     the whole body must arrive within this once the headers are in; else 408 and close
     * @param sendTimeout     a client that takes none of an answer for this long while more of it waits to be sent
     *                        (its stream has filled the connection's buffers) has its connection closed
     */
    public record Request(@DefaultValue("1MB") DataSize maxBodySize, @DefaultValue("64") int maxNestingDepth,
                          @DefaultValue("10s") Duration headerTimeout, @DefaultValue("30s") Duration bodyTimeout,
                          @DefaultValue("20s") Duration sendTimeout) {

        /** Refuses at start what would refuse every request (a body of 0 bytes, a deadline already past) or spin. */
        public Request {
            if (maxBodySize.toBytes() < 1) {
                throw new IllegalArgumentException("gateway.request.max-body-size must be at least 1B, not " + maxBodySize);
            }
            if (maxNestingDepth < 1) {
                throw new IllegalArgumentException("gateway.request.max-nesting-depth must be at least 1, not " + maxNestingDepth);
            }
            if (headerTimeout.isNegative() || headerTimeout.isZero()) {
                throw new IllegalArgumentException("gateway.request.header-timeout must be positive, not " + headerTimeout);
            }
            if (bodyTimeout.isNegative() || bodyTimeout.isZero()) {
                throw new IllegalArgumentException("gateway.request.body-timeout must be positive, not " + bodyTimeout);
            }
            if (sendTimeout.toMillis() < 2) { // checked every half of it: a zero half would check without pause
                throw new IllegalArgumentException("gateway.request.send-timeout must be at least 2ms, not " + sendTimeout);
            }
        }
    }

    /**
     * How the gateway calls deployments.
     *
     * @param connectTimeout  TCP connect timeout
     * @param readTimeout     deprecated: sets {@code gateway.resilience.first-byte-timeout} and {@code stream-idle-timeout}
     *                        at once (where those are not set)
     * @param maxResponseSize bound on a non-streamed answer and on one streamed event
     * @param apiVersion      default {@code api-version} for azure-inference deployments
     * @param deadline        bound on a whole non-streamed call, from sending the request to the answer's last byte
     */
    public record Upstream(@DefaultValue("5s") Duration connectTimeout, Duration readTimeout,
                           @DefaultValue("10MB") DataSize maxResponseSize, @DefaultValue("2024-05-01-preview") String apiVersion,
                           @DefaultValue("300s") Duration deadline) {
    }

    /**
     * The admin API where no identity provider is configured.
     *
     * @param token the bootstrap admin token ({@code GATEWAY_ADMIN_TOKEN}); unset: generated into {@code <data-dir>/admin-token}
     */
    public record Admin(String token) {
    }

    /**
     * Team keys.
     *
     * @param cacheTime             how long a key lookup is reused: the longest a key revoked on another replica still works
     * @param lastUsedFlushInterval how often keys' last-used times are written
     */
    public record Keys(@DefaultValue("500ms") Duration cacheTime, @DefaultValue("15s") Duration lastUsedFlushInterval) {
    }

    /**
     * Content safety (docs/content-safety.md).
     *
     * @param defaults the chain of every model without a chain of its own ({@code gateway.safety.default})
     * @param models   model name → its chain (replaces the default chain for that model)
     * @param filters  filter name → settings: instances of the built-in types, and the timeout and failure mode of
     *                 filters that are Spring beans of the application
     * @param stream   how streamed completions are held back for screening
     */
    public record Safety(@org.springframework.boot.context.properties.bind.Name("default") Chain defaults,
                         Map<String, Chain> models, Map<String, Filter> filters, @DefaultValue Stream stream) {

        public Safety {
            defaults = defaults == null ? new Chain(null, null) : defaults;
            models = models == null ? Map.of() : Map.copyOf(models);
            filters = filters == null ? Map.of() : Map.copyOf(filters);
        }
    }

    /** Filter names, screening the prompt ({@code input}) and the completion ({@code output}). */
    public record Chain(java.util.List<String> input, java.util.List<String> output) {

        public Chain {
            input = input == null ? java.util.List.of() : java.util.List.copyOf(input);
            output = output == null ? java.util.List.of() : java.util.List.copyOf(output);
        }
    }

    /**
     * One filter's settings. {@code type}, {@code timeout} and {@code on-failure} apply to every filter; the others
     * to the built-in type that reads them (docs/content-safety.md lists which).
     *
     * @param type      built-in type: blocklist | azure-content-safety | llama-guard | webhook; unset: the filter's
     *                  name if that is a built-in type, else the Spring bean of that name
     * @param timeout   longest a screening may take before it counts as failed (default 3s)
     * @param onFailure what a failed or timed-out screening means: closed (refuse, the default) or open (let through, counted)
     */
    public record Filter(String type, Duration timeout, FailureMode onFailure,
                         String category, java.util.List<String> terms, java.util.List<String> patterns,
                         URI endpoint, String apiKey, String apiVersion,
                         java.util.List<String> categories, Map<String, Integer> thresholds,
                         java.util.List<String> blocklistNames, Boolean haltOnBlocklistHit,
                         String deployment, java.util.List<String> annotate,
                         URI url, Map<String, String> headers, String secret) {

        public Filter {
            timeout = timeout == null ? Duration.ofSeconds(3) : timeout;
            onFailure = onFailure == null ? FailureMode.CLOSED : onFailure;
            apiVersion = apiVersion == null ? "2024-09-01" : apiVersion;
            terms = terms == null ? java.util.List.of() : java.util.List.copyOf(terms);
            patterns = patterns == null ? java.util.List.of() : java.util.List.copyOf(patterns);
            categories = categories == null ? java.util.List.of() : java.util.List.copyOf(categories);
            thresholds = thresholds == null ? Map.of() : Map.copyOf(thresholds);
            blocklistNames = blocklistNames == null ? java.util.List.of() : java.util.List.copyOf(blocklistNames);
            annotate = annotate == null ? java.util.List.of() : java.util.List.copyOf(annotate);
            headers = headers == null ? Map.of() : Map.copyOf(headers);
        }

        /** The settings of a filter the configuration does not mention. */
        public static Filter defaults() {
            return new Filter(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
        }

        @Override
        public String toString() {
            return "Filter[" + type + ", " + timeout + ", " + onFailure + "]"; // never the key or the secret
        }
    }

    public enum FailureMode { CLOSED, OPEN }

    /**
     * @param window  characters of a streamed completion collected before they are screened together
     * @param overlap characters at the end of a screened window held back and screened again with the next one, so
     *                that a blocked term (up to this long) that straddles two windows never half-reaches the caller
     */
    public record Stream(@DefaultValue("256") int window, @DefaultValue("64") int overlap) {
    }

    /**
     * The embedded default's simulated deployments.
     *
     * @param enabled unset: on exactly when no deployment is configured
     * @param port    0 picks a free port
     */
    public record Simulator(Boolean enabled, @DefaultValue("0") int port) {
    }
}
