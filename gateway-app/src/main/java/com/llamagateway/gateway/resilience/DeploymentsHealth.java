package com.llamagateway.gateway.resilience;

import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.routing.DeploymentCatalog;
import io.github.resilience4j.bulkhead.Bulkhead;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code /actuator/health/resilience}: each deployment's breaker (closed, half_open: its probe is due, open: ejected)
 * and requests in flight, as this replica sees them. Always UP: an ejected deployment is the pool's business (its
 * requests go to the other members, or are still tried when every member is ejected), never a reason to restart or
 * unload the gateway — so neither liveness nor readiness depends on it.
 */
public final class DeploymentsHealth implements HealthIndicator {

    private final DeploymentCatalog catalog;
    private final DeploymentBreakers breakers;
    private final DeploymentBulkheads bulkheads;

    public DeploymentsHealth(DeploymentCatalog catalog, DeploymentBreakers breakers, DeploymentBulkheads bulkheads) {
        this.catalog = catalog;
        this.breakers = breakers;
        this.bulkheads = bulkheads;
    }

    @Override
    public Health health() {
        Health.Builder health = Health.up();
        int ejected = 0;
        for (Deployment deployment : catalog.deployments()) {
            String breaker = breakers.of(deployment).getState().name().toLowerCase(Locale.ROOT);
            Bulkhead bulkhead = bulkheads.of(deployment);
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("model", deployment.model());
            detail.put("breaker", breaker);
            detail.put("inFlight", DeploymentBulkheads.inFlight(bulkhead));
            detail.put("maxConcurrent", bulkhead.getBulkheadConfig().getMaxConcurrentCalls());
            health.withDetail(deployment.name(), detail);
            if (breaker.equals("open")) {
                ejected++;
            }
        }
        return health.withDetail("ejected", ejected).build();
    }
}
