package com.llamagateway.gateway.security;

import com.llamagateway.gateway.protocol.Json;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;

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

    public static Mono<Void> write(ServerWebExchange exchange, Json json, HttpStatus status, String code, String detail) {
        exchange.getResponse().setStatusCode(status);
        exchange.getResponse().getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        byte[] bytes = json.write(body(json, status, code, null, detail)).getBytes(StandardCharsets.UTF_8);
        return exchange.getResponse().writeWith(Mono.just(exchange.getResponse().bufferFactory().wrap(bytes)));
    }
}
