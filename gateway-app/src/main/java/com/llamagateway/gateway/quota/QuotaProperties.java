package com.llamagateway.gateway.quota;

import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;
import java.util.List;

/**
 * {@code gateway.quota.*} (docs/quotas.md, docs/configuration.md).
 *
 * @param store             memory (one replica) | redis (any number of replicas sharing the buckets)
 * @param deploymentDefault a deployment's capacity where its entry sets none (400,000 tokens and 1,000 requests)
 * @param teamDefault       a team's allowance on each model where the admin API set none; unset: not limited
 * @param defaultMaxTokens  output tokens reserved per choice when a request sets no {@code max_tokens}
 * @param limitsRefresh     how often a replica reloads the limits set through the admin API (for its admin views and
 *                          the limits it passes along; the store applies a change on the next request anyway)
 */
public record QuotaProperties(@DefaultValue("memory") StoreKind store, Limits deploymentDefault, Limits teamDefault,
                              @DefaultValue("4096") int defaultMaxTokens, @DefaultValue("1s") Duration limitsRefresh,
                              @DefaultValue Redis redis) {

    public static final long DEFAULT_TOKENS_PER_MINUTE = 400_000;
    public static final long DEFAULT_REQUESTS_PER_MINUTE = 1_000;

    public QuotaProperties {
        deploymentDefault = new Limits(
                deploymentDefault != null && deploymentDefault.tokensPerMinute() != null ? deploymentDefault.tokensPerMinute() : DEFAULT_TOKENS_PER_MINUTE,
                deploymentDefault != null && deploymentDefault.requestsPerMinute() != null ? deploymentDefault.requestsPerMinute() : DEFAULT_REQUESTS_PER_MINUTE);
        teamDefault = teamDefault == null ? new Limits(null, null) : teamDefault;
    }

    public enum StoreKind { MEMORY, REDIS }

    /**
     * Tokens and requests per minute, each between 1 and {@link ScopeLimits#MAX_PER_MINUTE}; an unset unit means
     * "the default" (deployments) or "not limited" (teams).
     */
    public record Limits(Long tokensPerMinute, Long requestsPerMinute) {

        public Limits {
            String tokens = ScopeLimits.problem(tokensPerMinute);
            String requests = ScopeLimits.problem(requestsPerMinute);
            if (tokens != null || requests != null) {
                throw new IllegalArgumentException(tokens != null ? "tokens-per-minute " + tokens : "requests-per-minute " + requests);
            }
        }
    }

    /**
     * The Redis that holds the buckets when {@code gateway.quota.store=redis}.
     *
     * @param url           standalone {@code redis://[:password@]host:port[/db]} (or {@code rediss://}), or Sentinel
     *                      {@code redis-sentinel://host1:26379,host2:26379/0#mymaster}
     * @param cluster       Redis Cluster seed nodes ({@code redis://host:port} each); when set, {@code url} is ignored
     * @param timeout       the longest one call may wait; a call that timed out or failed is tried once more with
     *                      this timeout (same admission id, so it cannot debit twice)
     * @param minTimeout    the first try waits four times the recent 99th percentile of call latency, at least this
     *                      and at most {@code timeout} (the whole {@code timeout} until 64 calls were seen)
     * @param retryInterval how long Redis is left alone once the breaker has opened, before a few calls probe it
     * @param breaker       when Redis counts as unavailable
     * @param replicas      the fewest replicas assumed to share a deployment's capacity while Redis is unavailable:
     *                      each replica then admits 1/max(replicas, replicas seen alive) of it
     * @param heartbeat     how often a replica tells Redis it is alive (and learns how many are)
     * @param onFailure     what each scope does while Redis is unavailable
     */
    public record Redis(@DefaultValue("redis://127.0.0.1:6379") String url, List<String> cluster,
                        @DefaultValue("1s") Duration timeout, @DefaultValue("250ms") Duration minTimeout,
                        @DefaultValue("2s") Duration retryInterval, @DefaultValue Breaker breaker,
                        @DefaultValue("1") int replicas, @DefaultValue("1s") Duration heartbeat,
                        @DefaultValue OnFailure onFailure) {

        public Redis {
            cluster = cluster == null ? List.of() : List.copyOf(cluster);
            if (minTimeout.compareTo(timeout) > 0) {
                throw new IllegalArgumentException("min-timeout (" + minTimeout + ") must not be longer than timeout (" + timeout + ")");
            }
            if (replicas < 1) {
                throw new IllegalArgumentException("replicas must be at least 1");
            }
        }
    }

    /**
     * Redis is unavailable when at least {@code failureRate} percent of the last {@code window} calls failed (a call
     * fails when it and its retry both failed or timed out), counted once there were {@code minimumCalls}. A window
     * of calls rather than of time: under heavy traffic a burst of failures is not diluted by the seconds before it,
     * under light traffic one failure is not a rate.
     */
    public record Breaker(@DefaultValue("20") int window, @DefaultValue("10") int minimumCalls,
                          @DefaultValue("50") int failureRate) {

        public Breaker {
            if (minimumCalls < 1 || minimumCalls > window || failureRate < 1 || failureRate > 100) {
                throw new IllegalArgumentException("breaker: 1 <= minimum-calls <= window, 1 <= failure-rate <= 100");
            }
        }
    }

    /**
     * @param deployment default {@code local-share}: each replica admits its share of the capacity on its own
     * @param team       default {@code reject}: requests under a team allowance are refused with 503
     */
    public record OnFailure(@DefaultValue("local-share") FailurePolicy deployment, @DefaultValue("reject") FailurePolicy team) {
    }

    public enum FailurePolicy { LOCAL_SHARE, REJECT }
}
