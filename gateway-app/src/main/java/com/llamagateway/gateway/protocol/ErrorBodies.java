package com.llamagateway.gateway.protocol;

import tools.jackson.databind.node.ObjectNode;

/** The two error envelopes of the contract. */
final class ErrorBodies {

    private ErrorBodies() {
    }

    /** v1: {@code {"error":{"message","type","param","code"}}}. */
    static ObjectNode v1(Json json, GatewayError error) {
        ObjectNode body = json.object();
        ObjectNode e = body.putObject("error");
        e.put("message", error.getMessage());
        e.put("type", v1Type(error.status().value()));
        e.put("param", error.param());
        e.put("code", error.code());
        if (error.innerError() != null) {
            e.set("innererror", error.innerError());
        }
        return body;
    }

    /** azure-inference: {@code {"error":{"code","message","status"}}}, plus {@code param} when one is at fault. */
    static ObjectNode azure(Json json, GatewayError error) {
        ObjectNode body = json.object();
        ObjectNode e = body.putObject("error");
        e.put("code", error.code());
        e.put("message", error.getMessage());
        e.put("status", error.status().value());
        if (error.param() != null) {
            e.put("param", error.param());
        }
        if (error.innerError() != null) {
            e.set("innererror", error.innerError());
        }
        return body;
    }

    private static String v1Type(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 429 -> "rate_limit_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
    }
}
