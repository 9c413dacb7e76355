package com.llamagateway.gateway.config;

import com.llamagateway.gateway.routing.DeploymentKind;
import com.llamagateway.gateway.protocol.DialectName;
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
        @DefaultValue Quota quota) {

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
     * @param readTimeout    overrides {@code gateway.upstream.read-timeout}
     * @param limits         the deployment's capacity; unset units take {@code gateway.quota.deployment-default}
     */
    public record Deployment(DeploymentKind kind, URI url, String apiKey, String model, DialectName dialect,
                             String deploymentName, String apiVersion, Duration connectTimeout, Duration readTimeout,
                             Limits limits) {
    }

    /** Tokens and requests per minute; an unset unit means "the default" (deployments) or "not limited" (teams). */
    public record Limits(Long tokensPerMinute, Long requestsPerMinute) {
    }

    /**
     * Quotas (docs/quotas.md).
     *
     * @param store             memory (one replica) | redis (any number of replicas sharing the buckets)
     * @param deploymentDefault a deployment's capacity where its entry sets none (400,000 tokens and 1,000 requests)
     * @param teamDefault       a team's allowance on each model where the admin API set none; unset: not limited
     * @param defaultMaxTokens  output tokens reserved per choice when a request sets no {@code max_tokens}
     * @param limitsRefresh     how often a replica reloads the limits set through the admin API
     */
    public record Quota(@DefaultValue("memory") StoreKind store, Limits deploymentDefault, Limits teamDefault,
                        @DefaultValue("4096") int defaultMaxTokens, @DefaultValue("1s") Duration limitsRefresh,
                        @DefaultValue Redis redis) {

        public static final long DEFAULT_TOKENS_PER_MINUTE = 400_000;
        public static final long DEFAULT_REQUESTS_PER_MINUTE = 1_000;

        public Quota {
            deploymentDefault = new Limits(
                    deploymentDefault != null && deploymentDefault.tokensPerMinute() != null ? deploymentDefault.tokensPerMinute() : DEFAULT_TOKENS_PER_MINUTE,
                    deploymentDefault != null && deploymentDefault.requestsPerMinute() != null ? deploymentDefault.requestsPerMinute() : DEFAULT_REQUESTS_PER_MINUTE);
            teamDefault = teamDefault == null ? new Limits(null, null) : teamDefault;
        }

        public enum StoreKind { MEMORY, REDIS }
    }

    /**
     * The Redis that holds the buckets when {@code gateway.quota.store=redis}.
     *
     * @param url           standalone {@code redis://[:password@]host:port[/db]} (or {@code rediss://}), or Sentinel
     *                      {@code redis-sentinel://host1:26379,host2:26379/0#mymaster}
     * @param cluster       Redis Cluster seed nodes ({@code redis://host:port} each); when set, {@code url} is ignored
     * @param timeout       longest wait for one Redis operation before it counts as failed
     * @param retryInterval after a failure, how long the fallback is used before Redis is tried again
     * @param replicas      how many gateway replicas share the deployments: while Redis is unreachable each replica
     *                      admits this share of a deployment's capacity
     * @param onFailure     what each scope does while Redis is unreachable
     */
    public record Redis(@DefaultValue("redis://127.0.0.1:6379") String url, java.util.List<String> cluster,
                        @DefaultValue("250ms") Duration timeout, @DefaultValue("2s") Duration retryInterval,
                        @DefaultValue("1") int replicas, @DefaultValue OnFailure onFailure) {

        public Redis {
            cluster = cluster == null ? java.util.List.of() : java.util.List.copyOf(cluster);
        }
    }

    /**
     * @param deployment default {@code local-share}: each replica admits its share of the capacity on its own
     * @param team       default {@code reject}: requests under a team allowance are refused with 503
     */
    public record OnFailure(@DefaultValue("local-share") FailurePolicy deployment, @DefaultValue("reject") FailurePolicy team) {
    }

    public enum FailurePolicy { LOCAL_SHARE, REJECT }

    /**
     * Bounds on what a client may send.
     *
     * @param maxBodySize     larger bodies are refused with 413, with or without Content-Length
     * @param maxNestingDepth deeper JSON is refused with 400
     */
    public record Request(@DefaultValue("1MB") DataSize maxBodySize, @DefaultValue("64") int maxNestingDepth) {
    }

    /**
     * How the gateway calls deployments.
     *
     * @param connectTimeout  TCP connect timeout
     * @param readTimeout     longest silence allowed while waiting for the first byte or between two reads of a stream
     * @param maxResponseSize bound on a non-streamed answer and on one streamed event
     * @param apiVersion      default {@code api-version} for azure-inference deployments
     */
    public record Upstream(@DefaultValue("5s") Duration connectTimeout, @DefaultValue("120s") Duration readTimeout,
                           @DefaultValue("10MB") DataSize maxResponseSize, @DefaultValue("2024-05-01-preview") String apiVersion) {
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
     * The embedded default's simulated deployments.
     *
     * @param enabled unset: on exactly when no deployment is configured
     * @param port    0 picks a free port
     */
    public record Simulator(Boolean enabled, @DefaultValue("0") int port) {
    }
}
