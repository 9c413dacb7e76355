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
        String secret = secret(exchange.getRequest().getHeaders());
        return secret == null ? Mono.empty() : Mono.just(UsernamePasswordAuthenticationToken.unauthenticated("key", secret));
    }

    /** The secret the headers present, trimmed; null where they present none (or a blank one). */
    static String secret(HttpHeaders headers) {
        String secret = headers.getFirst("api-key");
        if (secret == null) {
            String authorization = headers.getFirst(HttpHeaders.AUTHORIZATION);
            if (authorization != null) {
                secret = authorization.regionMatches(true, 0, "Bearer ", 0, 7) ? authorization.substring(7) : authorization;
            }
        }
        return secret == null || secret.isBlank() ? null : secret.trim();
    }
}
