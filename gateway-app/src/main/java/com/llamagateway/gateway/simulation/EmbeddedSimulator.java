package com.llamagateway.gateway.simulation;

import com.llamagateway.gateway.config.GatewayProperties;
import com.llamagateway.gateway.protocol.DialectName;
import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.routing.DeploymentKind;
import com.llamagateway.simulator.LlamaSimulator;
import com.llamagateway.simulator.StandardDeployments;

import java.net.URI;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

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

    /** The catalog entries that point at the simulator. */
    public static List<Deployment> catalog(LlamaSimulator simulator, GatewayProperties properties) {
        String key = simulator.deployment(StandardDeployments.SERVERLESS_70B).apiKey();
        GatewayProperties.Upstream upstream = properties.upstream();
        return List.of(
                new Deployment(StandardDeployments.SERVERLESS_70B, DeploymentKind.SERVERLESS,
                        URI.create(simulator.baseUrl(StandardDeployments.SERVERLESS_70B)), key, StandardDeployments.MODEL_70B,
                        DialectName.V1, null, upstream.apiVersion(), upstream.connectTimeout(), upstream.readTimeout()),
                new Deployment(StandardDeployments.SERVERLESS_8B, DeploymentKind.SERVERLESS,
                        URI.create(simulator.baseUrl(StandardDeployments.SERVERLESS_8B)), key, StandardDeployments.MODEL_8B,
                        DialectName.AZURE_INFERENCE, null, upstream.apiVersion(), upstream.connectTimeout(), upstream.readTimeout()),
                new Deployment(StandardDeployments.MANAGED_8B, DeploymentKind.MANAGED_COMPUTE,
                        URI.create(simulator.baseUrl(StandardDeployments.MANAGED_8B) + "/score"), key, StandardDeployments.MODEL_MANAGED_8B,
                        DialectName.SCORE, StandardDeployments.MANAGED_8B_DEPLOYMENT, upstream.apiVersion(), upstream.connectTimeout(),
                        upstream.readTimeout()));
    }
}
