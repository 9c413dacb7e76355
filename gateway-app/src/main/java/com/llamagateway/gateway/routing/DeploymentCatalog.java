package com.llamagateway.gateway.routing;

import com.llamagateway.gateway.config.GatewayProperties;
import com.llamagateway.gateway.quota.QuotaProperties;
import com.llamagateway.gateway.protocol.DialectName;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The deployments the gateway knows, and the pool of deployments behind each public model name. */
public final class DeploymentCatalog {

    private static final Logger log = LoggerFactory.getLogger(DeploymentCatalog.class);

    private final Map<String, Deployment> deployments;
    private final Map<String, List<Deployment>> pools;

    public DeploymentCatalog(List<Deployment> deployments) {
        Map<String, Deployment> byName = new LinkedHashMap<>();
        Map<String, List<Deployment>> byModel = new LinkedHashMap<>();
        for (Deployment deployment : deployments) {
            byName.put(deployment.name(), deployment);
            byModel.computeIfAbsent(deployment.model(), m -> new ArrayList<>()).add(deployment);
        }
        this.deployments = Collections.unmodifiableMap(byName);
        Map<String, List<Deployment>> frozen = new LinkedHashMap<>();
        // by priority, configuration order within one (a stable sort): what ModelRouter then uses as it is
        byModel.forEach((model, pool) -> frozen.put(model, pool.stream()
                .sorted(Comparator.comparingInt((Deployment d) -> d.preference().priority())).toList()));
        this.pools = Collections.unmodifiableMap(frozen);
    }

    /**
     * Builds the catalog from {@code gateway.deployments}, failing start-up with the offending key when an entry
     * is incomplete.
     */
    public static DeploymentCatalog from(GatewayProperties properties) {
        return from(properties, Map.of());
    }

    /** The configured deployments, then {@code more} (entries of the same shape, e.g. the embedded simulator's). */
    public static DeploymentCatalog from(GatewayProperties properties, Map<String, GatewayProperties.Deployment> more) {
        Map<String, GatewayProperties.Deployment> entries = new LinkedHashMap<>(properties.deployments());
        more.forEach((name, d) -> {
            if (entries.putIfAbsent(name, d) != null) {
                throw new IllegalStateException("gateway.deployments." + name + " is also the name of a simulated deployment");
            }
        });
        List<Deployment> deployments = new ArrayList<>();
        entries.forEach((name, d) -> {
            String prefix = "gateway.deployments." + name + ".";
            if (d.model() == null || d.model().isBlank()) {
                throw new IllegalStateException(prefix + "model is required");
            }
            if (d.url() == null || d.url().getScheme() == null || d.url().getHost() == null) {
                throw new IllegalStateException(prefix + "url must be an absolute http(s) URL");
            }
            if (d.apiKey() == null || d.apiKey().isBlank()) {
                throw new IllegalStateException(prefix + "api-key is required (set it from the environment)");
            }
            if (d.apiKey().contains("${")) {
                throw new IllegalStateException(prefix + "api-key refers to an environment variable that is not set: " + d.apiKey());
            }
            DeploymentKind kind = d.kind() == null ? DeploymentKind.SERVERLESS : d.kind();
            DialectName dialect = d.dialect() != null ? d.dialect() : kind == DeploymentKind.MANAGED_COMPUTE ? DialectName.SCORE : DialectName.V1;
            URI url = dialect == DialectName.SCORE ? scoringUri(d.url()) : withoutTrailingSlash(d.url());
            deployments.add(new Deployment(name, kind, url, d.apiKey(), d.model(), dialect, d.deploymentName(),
                    d.apiVersion() != null ? d.apiVersion() : properties.upstream().apiVersion(),
                    timeouts(prefix, d, properties), maxConcurrent(prefix, d, properties),
                    capacity(d.limits(), properties.quota().deploymentDefault()), preference(prefix, d),
                    properties.passthrough().enabled() && !Boolean.FALSE.equals(d.passthrough())));
        });
        return new DeploymentCatalog(deployments);
    }

    /**
     * The deployment's own timeouts, else the deprecated {@code read-timeout} (its own, then
     * {@code gateway.upstream.read-timeout}) for both, else {@code gateway.resilience.*}.
     */
    private static Deployment.Timeouts timeouts(String prefix, GatewayProperties.Deployment d, GatewayProperties properties) {
        Duration read = d.readTimeout() != null ? d.readTimeout() : properties.upstream().readTimeout();
        if (read != null && (d.firstByteTimeout() == null || d.streamIdleTimeout() == null)) {
            log.warn("{}read-timeout (or gateway.upstream.read-timeout) is deprecated: set first-byte-timeout and stream-idle-timeout "
                    + "(gateway.resilience.* for every deployment)", prefix);
        }
        Duration firstByte = d.firstByteTimeout() != null ? d.firstByteTimeout() : read != null ? read : properties.resilience().firstByteTimeout();
        Duration streamIdle = d.streamIdleTimeout() != null ? d.streamIdleTimeout() : read != null ? read : properties.resilience().streamIdleTimeout();
        Duration connect = d.connectTimeout() != null ? d.connectTimeout() : properties.upstream().connectTimeout();
        for (Duration timeout : new Duration[]{connect, firstByte, streamIdle}) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalStateException(prefix + "timeouts must be positive");
            }
        }
        return new Deployment.Timeouts(connect, firstByte, streamIdle);
    }

    private static int maxConcurrent(String prefix, GatewayProperties.Deployment d, GatewayProperties properties) {
        if (d.maxConcurrent() == null) {
            return properties.resilience().bulkhead().maxConcurrent();
        }
        if (d.maxConcurrent() < 1) {
            throw new IllegalStateException(prefix + "max-concurrent must be at least 1, not " + d.maxConcurrent());
        }
        return d.maxConcurrent();
    }

    private static Deployment.Preference preference(String prefix, GatewayProperties.Deployment d) {
        if (d.weight() != null && (d.weight() < 1 || d.weight() > 1000)) {
            throw new IllegalStateException(prefix + "weight must be from 1 to 1000, not " + d.weight());
        }
        return new Deployment.Preference(d.priority() != null ? d.priority() : 0, d.weight());
    }

    /** The deployment's own limits, else the default; both were checked against the bounds when they were bound. */
    private static Deployment.Capacity capacity(QuotaProperties.Limits limits, QuotaProperties.Limits defaults) {
        long tokens = limits != null && limits.tokensPerMinute() != null ? limits.tokensPerMinute() : defaults.tokensPerMinute();
        long requests = limits != null && limits.requestsPerMinute() != null ? limits.requestsPerMinute() : defaults.requestsPerMinute();
        return new Deployment.Capacity(tokens, requests);
    }

    private static URI withoutTrailingSlash(URI url) {
        String text = url.toString();
        return text.endsWith("/") ? URI.create(text.substring(0, text.length() - 1)) : url;
    }

    private static URI scoringUri(URI url) {
        URI base = withoutTrailingSlash(url);
        return base.getPath() != null && base.getPath().endsWith("/score") ? base : URI.create(base + "/score");
    }

    public List<Deployment> pool(String model) {
        return pools.getOrDefault(model, List.of());
    }

    public Deployment deployment(String name) {
        return deployments.get(name);
    }

    /** Public model names, in configuration order. */
    public List<String> models() {
        return List.copyOf(pools.keySet());
    }

    public List<Deployment> deployments() {
        return List.copyOf(deployments.values());
    }
}
