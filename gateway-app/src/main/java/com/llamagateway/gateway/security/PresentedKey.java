package com.llamagateway.gateway.security;

import org.springframework.http.HttpHeaders;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * The secret a request presents: {@code Authorization: Bearer <secret>}, a bare secret in {@code Authorization}
 * (as Azure SDKs send a key credential), or {@code api-key: <secret>}.
 */
final class PresentedKey {

    private PresentedKey() {
    }

    static Mono<Authentication> from(ServerWebExchange exchange) {
        HttpHeaders headers = exchange.getRequest().getHeaders();
        String secret = headers.getFirst("api-key");
        if (secret == null) {
            String authorization = headers.getFirst(HttpHeaders.AUTHORIZATION);
            if (authorization != null) {
                secret = authorization.regionMatches(true, 0, "Bearer ", 0, 7) ? authorization.substring(7) : authorization;
            }
        }
        if (secret == null || secret.isBlank()) {
            return Mono.empty();
        }
        return Mono.just(UsernamePasswordAuthenticationToken.unauthenticated("key", secret.trim()));
    }
}
