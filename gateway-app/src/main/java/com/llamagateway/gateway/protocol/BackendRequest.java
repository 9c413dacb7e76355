package com.llamagateway.gateway.protocol;

import tools.jackson.databind.node.ObjectNode;

import java.util.Map;

/**
 * What to send to a deployment.
 *
 * @param path    appended to the deployment's URL, query string included (empty for a scoring URI)
 * @param headers dialect headers such as {@code extra-parameters}; transport and auth headers are added by the caller
 */
public record BackendRequest(String path, Map<String, String> headers, ObjectNode body) {

    public BackendRequest {
        headers = Map.copyOf(headers);
    }
}
