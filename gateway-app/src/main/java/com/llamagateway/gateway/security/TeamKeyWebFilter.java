package com.llamagateway.gateway.security;

import com.llamagateway.gateway.team.CallerTeam;
import com.llamagateway.gateway.team.KeyAuthenticator;
import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

import java.util.Optional;

/**
 * The client routes' authentication: the key a request presents ({@link PresentedKey}) is its team's, or the request
 * is answered 401 in its path's dialect ({@link DialectEntryPoint}) and goes no further. An authenticated request
 * carries a {@link TeamKeyAuthentication} in its security context, where {@code exchange.getPrincipal()} finds it, and its
 * team in an exchange attribute, where {@link TeamKeyAuthentication#teamOf} finds it.
 * In one step, where Spring Security's authentication, exception translation and authorization filters took three
 * for the same decision (authenticated or 401).
 */
final class TeamKeyWebFilter implements WebFilter {

    private final KeyAuthenticator keys;
    private final DialectEntryPoint unauthorized;

    TeamKeyWebFilter(KeyAuthenticator keys, DialectEntryPoint unauthorized) {
        this.keys = keys;
        this.unauthorized = unauthorized;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String secret = PresentedKey.secret(exchange.getRequest().getHeaders());
        if (secret == null) {
            return unauthorized.refuse(exchange);
        }
        return keys.authenticate(secret)
                .map(Optional::of)
                .defaultIfEmpty(Optional.empty())
                .flatMap(team -> team.isPresent() ? authenticated(exchange, chain, team.get()) : unauthorized.refuse(exchange));
    }

    private static Mono<Void> authenticated(ServerWebExchange exchange, WebFilterChain chain, CallerTeam team) {
        exchange.getAttributes().put(TeamKeyAuthentication.TEAM_ATTRIBUTE, team);
        return chain.filter(exchange).contextWrite(ReactiveSecurityContextHolder.withAuthentication(new TeamKeyAuthentication(team)));
    }
}
