package com.llamagateway.gateway.security;

import com.llamagateway.gateway.protocol.CallerDialect;
import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.protocol.Json;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

import java.nio.charset.StandardCharsets;

/** 401 for a missing or wrong team key, in the dialect of the path ({@code /v1/…}: v1, else azure-inference). */
final class DialectEntryPoint implements ServerAuthenticationEntryPoint {

    private final CallerDialect v1;
    private final CallerDialect azure;
    private final Json json;

    DialectEntryPoint(CallerDialect v1, CallerDialect azure, Json json) {
        this.v1 = v1;
        this.azure = azure;
        this.json = json;
    }

    @Override
    public Mono<Void> commence(ServerWebExchange exchange, AuthenticationException ex) {
        boolean presented = exchange.getRequest().getHeaders().containsHeader("api-key")
                || exchange.getRequest().getHeaders().containsHeader("Authorization");
        GatewayError error = new GatewayError(HttpStatus.UNAUTHORIZED, ErrorCode.INVALID_API_KEY, presented
                ? "The API key is not valid: it is unknown, revoked or expired."
                : "No API key: send it as 'Authorization: Bearer <key>' or 'api-key: <key>'.", null, null);
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        CallerDialect dialect = path.startsWith("/v1/") ? v1 : azure;
        exchange.getResponse().setStatusCode(HttpStatus.UNAUTHORIZED);
        exchange.getResponse().getHeaders().setContentType(MediaType.APPLICATION_JSON);
        exchange.getResponse().getHeaders().set("WWW-Authenticate", "Bearer");
        byte[] body = json.write(dialect.encodeError(error)).getBytes(StandardCharsets.UTF_8);
        return exchange.getResponse().writeWith(Mono.just(exchange.getResponse().bufferFactory().wrap(body)));
    }
}
