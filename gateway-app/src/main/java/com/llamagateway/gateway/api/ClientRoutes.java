package com.llamagateway.gateway.api;

import java.util.Map;

/**
 * What the error paths need to know of the client routes (GatewayConfiguration.clientRoutes declares them; DESIGN.md,
 * "Client routes"): each route's method, and which paths belong to the azure-inference dialect.
 */
final class ClientRoutes {

    /** Route → its method: another method on it is 405, not 404. */
    static final Map<String, String> METHODS = Map.of("/v1/chat/completions", "POST", "/v1/completions", "POST",
            "/v1/models", "GET", "/chat/completions", "POST", "/completions", "POST", "/models/chat/completions", "POST",
            "/models/completions", "POST", "/info", "GET", "/models/info", "GET");

    private ClientRoutes() {
    }

    /** Pass-through to a deployment's own API (the passthrough package); Azure's error shape, as the deployments use. */
    static final String PASS_THROUGH = "/deployments/";

    /**
     * The Azure AI Model Inference paths: {@code /chat/completions}, {@code /completions}, {@code /info},
     * {@code /models/…}; and pass-through, {@code /deployments/…}.
     */
    static boolean azure(String path) {
        return path.equals("/chat/completions") || path.equals("/completions") || path.equals("/info")
                || path.equals("/models") || path.startsWith("/models/") || path.startsWith(PASS_THROUGH);
    }

    /** The deployment a pass-through path names, or null when it names none. */
    static String passThroughDeployment(String path) {
        if (!path.startsWith(PASS_THROUGH)) {
            return null;
        }
        int end = path.indexOf('/', PASS_THROUGH.length());
        String name = end < 0 ? path.substring(PASS_THROUGH.length()) : path.substring(PASS_THROUGH.length(), end);
        return name.isEmpty() ? null : name;
    }
}
