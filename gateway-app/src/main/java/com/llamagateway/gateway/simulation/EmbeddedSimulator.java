package com.llamagateway.gateway.simulation;

import com.llamagateway.gateway.config.GatewayProperties;
import com.llamagateway.gateway.protocol.DialectName;
import com.llamagateway.gateway.routing.DeploymentKind;
import com.llamagateway.simulator.LlamaSimulator;
import com.llamagateway.simulator.StandardDeployments;

import java.net.URI;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The embedded default: simulated Azure deployments served in this process, so that a fresh machine needs no
 * Azure account. One model per backend dialect: a serverless deployment spoken to in v1, a serverless deployment
 * spoken to in azure-inference, and a managed online endpoint spoken to in score.
 */
public final class EmbeddedSimulator {

    private EmbeddedSimulator() {
    }

    /** On when {@code gateway.simulator.enabled} says so, or, unset, when no deployment is configured. */
    public static boolean enabled(GatewayProperties properties) {
        Boolean enabled = properties.simulator().enabled();
        return enabled != null ? enabled : properties.deployments().isEmpty();
    }

    /** Starts the simulator with a key made for this process (nothing to configure, nothing written anywhere). */
    public static LlamaSimulator start(GatewayProperties properties) {
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        String key = "sim-" + HexFormat.of().formatHex(secret);
        LlamaSimulator.Builder builder = LlamaSimulator.builder();
        StandardDeployments.all(key).forEach(builder::deployment);
        return builder.start(properties.simulator().port());
    }

    /** Catalog entries for the simulator's deployments, as an operator would write them in gateway.deployments. */
    public static Map<String, GatewayProperties.Deployment> catalog(LlamaSimulator simulator) {
        String key = simulator.deployment(StandardDeployments.SERVERLESS_70B).apiKey();
        Map<String, GatewayProperties.Deployment> entries = new LinkedHashMap<>();
        entries.put(StandardDeployments.SERVERLESS_70B, entry(simulator, StandardDeployments.SERVERLESS_70B, DeploymentKind.SERVERLESS,
                key, StandardDeployments.MODEL_70B, DialectName.V1, null));
        entries.put(StandardDeployments.SERVERLESS_8B, entry(simulator, StandardDeployments.SERVERLESS_8B, DeploymentKind.SERVERLESS,
                key, StandardDeployments.MODEL_8B, DialectName.AZURE_INFERENCE, null));
        entries.put(StandardDeployments.MANAGED_8B, entry(simulator, StandardDeployments.MANAGED_8B, DeploymentKind.MANAGED_COMPUTE,
                key, StandardDeployments.MODEL_MANAGED_8B, DialectName.SCORE, StandardDeployments.MANAGED_8B_DEPLOYMENT));
        return entries;
    }

    private static GatewayProperties.Deployment entry(LlamaSimulator simulator, String name, DeploymentKind kind, String key, String model,
                                                      DialectName dialect, String deploymentName) {
        return new GatewayProperties.Deployment(kind, URI.create(simulator.baseUrl(name)), key, model, dialect, deploymentName,
                null, null, null, null, null, null, null, null, null, null);
    }
}
