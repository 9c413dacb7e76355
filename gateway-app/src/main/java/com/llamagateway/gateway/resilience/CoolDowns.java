package com.llamagateway.gateway.resilience;

import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.quota.QuotaStore;
import com.llamagateway.gateway.quota.Scope;
import com.llamagateway.gateway.routing.Deployment;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * A deployment that answers 429 or 503 with {@code retry-after-ms} or {@code retry-after} is kept out of its
 * model's admissions for that long (at most {@code cool-down.max}), on every replica: the cool-down is kept by the
 * quota store beside the deployment's buckets (in Redis; in this process for the embedded store), where admission
 * checks it in the same step that reserves. A later cool-down extends one under way, never shortens it.
 */
public final class CoolDowns {

    private static final Logger log = LoggerFactory.getLogger(CoolDowns.class);

    private final QuotaStore store;
    private final long maxMillis;
    private final MeterRegistry registry;

    /** @param registry where {@code gateway.deployment.cool-downs} (per deployment) goes */
    public CoolDowns(QuotaStore store, ResilienceProperties.CoolDown properties, MeterRegistry registry) {
        this.store = store;
        this.maxMillis = properties.max().toMillis();
        this.registry = registry;
    }

    /**
     * The wait a deployment's failure asked for in ms: {@code retry-after-ms}, else {@code retry-after} in seconds;
     * -1 when it asked for none (a failure other than its 429/503, or without either header).
     */
    public static long askedMillis(Throwable error) {
        if (!(error instanceof GatewayError e) || !e.code().equals(ErrorCode.UPSTREAM_RATE_LIMITED) && !e.code().equals(ErrorCode.UPSTREAM_UNAVAILABLE)) {
            return -1; // only what a deployment said: not the gateway's own 503s (a full bulkhead)
        }
        String millis = e.headers().get("retry-after-ms");
        String seconds = e.headers().get("Retry-After");
        try {
            if (millis != null) {
                return Long.parseLong(millis);
            }
            return seconds != null ? Long.parseLong(seconds) * 1000 : -1;
        } catch (NumberFormatException notANumber) {
            return -1;
        }
    }

    /** Starts (or extends) the deployment's cool-down when its failure asked for a wait; else does nothing. */
    public Mono<Void> after(String requestId, Deployment deployment, Throwable error) {
        long asked = askedMillis(error);
        if (asked <= 0 || maxMillis == 0) {
            return Mono.empty();
        }
        long millis = Math.min(asked, maxMillis);
        return Mono.defer(() -> {
            registry.counter("gateway.deployment.cool-downs", "deployment", deployment.name()).increment();
            log.info("Request {}: deployment {} asked to wait {} ms ({}): no request goes to it before then{}", requestId, deployment.name(),
                    asked, ((GatewayError) error).status().value(), millis < asked ? " (cut to gateway.resilience.cool-down.max, " + millis + " ms)" : "");
            return store.coolDown(deployment.model(), Scope.deployment(deployment.name()), millis)
                    .onErrorResume(failed -> {
                        log.warn("Request {}: the cool-down of deployment {} could not be kept ({})", requestId, deployment.name(), failed.toString());
                        return Mono.empty();
                    });
        });
    }
}
