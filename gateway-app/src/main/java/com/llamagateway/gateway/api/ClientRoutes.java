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

    /** The Azure AI Model Inference paths: {@code /chat/completions}, {@code /completions}, {@code /info}, {@code /models/…}. */
    static boolean azure(String path) {
        return path.equals("/chat/completions") || path.equals("/completions") || path.equals("/info")
                || path.equals("/models") || path.startsWith("/models/");
    }
}
