package com.llamagateway.gateway.security;

import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * The client chain's authentication, for the client paths that are not served in front of it (pass-through, a wrong
 * method on an LLM route): the key decision of {@link TeamKeyGate#withTeam}, and an authenticated request carries a
 * {@link TeamKeyAuthentication} in its security context, where {@code exchange.getPrincipal()} finds it.
 * In one step, where Spring Security's authentication, exception translation and authorization filters took three
 * for the same decision (authenticated or 401).
 */
final class TeamKeyWebFilter implements WebFilter {

    private final TeamKeyGate gate;

    TeamKeyWebFilter(TeamKeyGate gate) {
        this.gate = gate;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        return gate.withTeam(exchange, (authenticated, team) -> chain.filter(authenticated)
                .contextWrite(ReactiveSecurityContextHolder.withAuthentication(new TeamKeyAuthentication(team))));
    }
}
