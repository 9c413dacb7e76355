package com.llamagateway.gateway.config;

import com.llamagateway.gateway.api.ErrorResponses;
import com.llamagateway.gateway.passthrough.PassThrough;
import com.llamagateway.gateway.passthrough.PassThroughRoutes;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.quota.Admission;
import com.llamagateway.gateway.resilience.CoolDowns;
import com.llamagateway.gateway.resilience.DeploymentBreakers;
import com.llamagateway.gateway.resilience.DeploymentBulkheads;
import com.llamagateway.gateway.routing.DeploymentCatalog;
import com.llamagateway.gateway.usage.UsageRecorder;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.cloud.gateway.route.builder.RouteLocatorBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Pass-through to deployments' own APIs on Spring Cloud Gateway ({@code /deployments/<name>/**}, docs/api.md): the
 * routes, built from the catalog, behind the client security chain. The LLM routes' functional endpoints come first
 * (their handler mapping's order is -1, the gateway's 1), so the two never compete for a path.
 */
@Configuration(proxyBeanMethods = false)
public class PassThroughConfiguration {

    @Bean
    PassThrough passThrough(Admission admission, DeploymentBreakers breakers, DeploymentBulkheads bulkheads, CoolDowns coolDowns,
                            ErrorResponses errors, UsageRecorder usage, MeterRegistry registry, Json json, GatewayProperties properties) {
        return new PassThrough(admission, breakers, bulkheads, coolDowns, errors, usage, registry, json, properties.request().maxBodySize().toBytes(),
                properties.request().bodyTimeout(),
                (int) properties.passthrough().usageScanLimit().toBytes());
    }

    @Bean
    RouteLocator passThroughRoutes(RouteLocatorBuilder builder, DeploymentCatalog catalog, PassThrough passThrough) {
        return PassThroughRoutes.of(builder, catalog, passThrough);
    }
}
