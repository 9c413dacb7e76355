package com.llamagateway.gateway.config;

import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.routing.DeploymentCatalog;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Each deployment's timeouts: its own, else the deprecated {@code read-timeout}, else {@code gateway.resilience.*}. */
class DeploymentTimeoutsBindingTest {

    private static DeploymentCatalog catalog(Map<String, String> more) {
        Map<String, String> properties = new HashMap<>(more);
        for (String name : new String[]{"plain", "own", "old"}) {
            properties.put("gateway.deployments." + name + ".url", "http://127.0.0.1:1/" + name);
            properties.put("gateway.deployments." + name + ".api-key", "k");
            properties.put("gateway.deployments." + name + ".model", "m");
        }
        properties.put("gateway.deployments.own.first-byte-timeout", "45s");
        properties.put("gateway.deployments.own.stream-idle-timeout", "5s");
        properties.put("gateway.deployments.own.connect-timeout", "2s");
        properties.put("gateway.deployments.old.read-timeout", "300s");
        GatewayProperties bound = new Binder(new MapConfigurationPropertySource(properties)).bindOrCreate("gateway", GatewayProperties.class);
        return DeploymentCatalog.from(bound);
    }

    @Test
    void ownTimeoutsThenTheDeprecatedReadTimeoutThenTheResilienceDefaults() {
        DeploymentCatalog defaults = catalog(Map.of());
        assertThat(defaults.deployment("plain").timeouts())
                .isEqualTo(new Deployment.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(120), Duration.ofSeconds(30)));
        assertThat(defaults.deployment("own").timeouts())
                .isEqualTo(new Deployment.Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(45), Duration.ofSeconds(5)));
        assertThat(defaults.deployment("old").timeouts()).as("read-timeout: both at once")
                .isEqualTo(new Deployment.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(300), Duration.ofSeconds(300)));

        DeploymentCatalog global = catalog(Map.of("gateway.resilience.first-byte-timeout", "60s", "gateway.resilience.stream-idle-timeout", "10s"));
        assertThat(global.deployment("plain").timeouts())
                .isEqualTo(new Deployment.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(10)));
        assertThat(global.deployment("own").timeouts().firstByte()).isEqualTo(Duration.ofSeconds(45));

        DeploymentCatalog deprecatedGlobal = catalog(Map.of("gateway.upstream.read-timeout", "90s"));
        assertThat(deprecatedGlobal.deployment("plain").timeouts())
                .isEqualTo(new Deployment.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(90), Duration.ofSeconds(90)));
        assertThat(deprecatedGlobal.deployment("own").timeouts().streamIdle()).isEqualTo(Duration.ofSeconds(5));
    }
}
