package com.llamagateway.gateway.security;

import com.llamagateway.gateway.api.ErrorResponses;
import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

import java.util.Map;

/** 401 for a missing or wrong team key, in the dialect of the path. */
final class DialectEntryPoint implements ServerAuthenticationEntryPoint {

    private final ErrorResponses errors;

    DialectEntryPoint(ErrorResponses errors) {
        this.errors = errors;
    }

    @Override
    public Mono<Void> commence(ServerWebExchange exchange, AuthenticationException ex) {
        return refuse(exchange);
    }

    /** The 401: the key is missing, or it is not a valid one. */
    Mono<Void> refuse(ServerWebExchange exchange) {
        boolean presented = exchange.getRequest().getHeaders().containsHeader("api-key")
                || exchange.getRequest().getHeaders().containsHeader("Authorization");
        return errors.write(exchange, new GatewayError(HttpStatus.UNAUTHORIZED, ErrorCode.INVALID_API_KEY, presented
                ? "The API key is not valid: it is unknown, revoked or expired."
                : "No API key: send it as 'Authorization: Bearer <key>' or 'api-key: <key>'.", null,
                Map.of("WWW-Authenticate", "Bearer")));
    }
}
