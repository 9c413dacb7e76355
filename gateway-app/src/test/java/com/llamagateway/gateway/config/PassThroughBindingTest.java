package com.llamagateway.gateway.config;

import com.llamagateway.gateway.routing.DeploymentCatalog;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Which deployments are open to pass-through, and where their own API's root is. */
class PassThroughBindingTest {

    private static DeploymentCatalog catalog(Map<String, String> more) {
        Map<String, String> properties = new HashMap<>(more);
        properties.put("gateway.deployments.serverless.url", "https://llama-70b.eastus2.models.ai.azure.com/");
        properties.put("gateway.deployments.foundry.url", "https://res.services.ai.azure.com/models");
        properties.put("gateway.deployments.foundry.dialect", "azure-inference");
        properties.put("gateway.deployments.managed.kind", "managed-compute");
        properties.put("gateway.deployments.managed.url", "https://endpoint.eastus2.inference.ml.azure.com/score");
        properties.put("gateway.deployments.closed.url", "https://closed.eastus2.models.ai.azure.com");
        properties.put("gateway.deployments.closed.passthrough", "false");
        for (String name : new String[]{"serverless", "foundry", "managed", "closed"}) {
            properties.put("gateway.deployments." + name + ".api-key", "k");
            properties.put("gateway.deployments." + name + ".model", "m");
        }
        GatewayProperties bound = new Binder(new MapConfigurationPropertySource(properties)).bindOrCreate("gateway", GatewayProperties.class);
        return DeploymentCatalog.from(bound);
    }

    @Test
    void everyDeploymentIsOpenUnlessItOptsOutOrPassThroughIsOff() {
        DeploymentCatalog defaults = catalog(Map.of());
        assertThat(defaults.deployments()).filteredOn(d -> d.passThrough()).extracting(d -> d.name())
                .containsExactlyInAnyOrder("serverless", "foundry", "managed");

        DeploymentCatalog off = catalog(Map.of("gateway.passthrough.enabled", "false"));
        assertThat(off.deployments()).noneMatch(d -> d.passThrough());
    }

    @Test
    void theRootOfAManagedComputeEndpointIsItsScoringUriWithoutScore() {
        DeploymentCatalog catalog = catalog(Map.of());
        assertThat(catalog.deployment("managed").url()).isEqualTo(URI.create("https://endpoint.eastus2.inference.ml.azure.com/score"));
        assertThat(catalog.deployment("managed").root()).isEqualTo(URI.create("https://endpoint.eastus2.inference.ml.azure.com"));
        assertThat(catalog.deployment("serverless").root()).isEqualTo(URI.create("https://llama-70b.eastus2.models.ai.azure.com"));
        assertThat(catalog.deployment("foundry").root()).as("a path of its own is kept").isEqualTo(URI.create("https://res.services.ai.azure.com/models"));
    }
}
