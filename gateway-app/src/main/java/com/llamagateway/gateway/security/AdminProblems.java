package com.llamagateway.gateway.security;

import com.llamagateway.gateway.protocol.Json;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.node.ObjectNode;

/** The admin API's error body: RFC 9457 problem details with a machine-readable {@code code} (and {@code field}). */
public final class AdminProblems {

    private AdminProblems() {
    }

    public static ObjectNode body(Json json, HttpStatus status, String code, String field, String detail) {
        ObjectNode problem = json.object();
        problem.put("type", "about:blank");
        problem.put("title", status.getReasonPhrase());
        problem.put("status", status.value());
        problem.put("detail", detail);
        problem.put("code", code);
        if (field != null) {
            problem.put("field", field);
        }
        return problem;
    }
}
