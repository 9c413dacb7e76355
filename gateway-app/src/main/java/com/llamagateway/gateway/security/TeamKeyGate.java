package com.llamagateway.gateway.security;

import com.llamagateway.gateway.team.CallerTeam;
import com.llamagateway.gateway.team.KeyAuthenticator;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedException;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedHandler;
import org.springframework.security.web.server.firewall.ServerWebExchangeFirewall;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * What the client security chain does for a request, in one step: Spring Security's firewall (the same bean and
 * rejection handler as every chain's, less its response check at commit: {@link RequestFirewall}), the default
 * response headers ({@link SecurityHeaders}) and the team key — the request goes on with its team in an exchange
 * attribute ({@link TeamKeyAuthentication#teamOf}), or is answered 401 in its path's dialect ({@link DialectEntryPoint})
 * and goes no further.
 * <p>
 * The LLM routes are served through {@link #admit} in front of Spring Security's filter chain proxy and WebFlux's
 * dispatcher ({@code api.ClientRoutes}); the other client paths (pass-through, a wrong method) cross the client chain,
 * whose {@link TeamKeyWebFilter} makes the same key decision with {@link #withTeam}.
 */
public final class TeamKeyGate {

    private final KeyAuthenticator keys;
    private final DialectEntryPoint unauthorized;
    private final RequestFirewall firewall;
    private final ServerExchangeRejectedHandler rejected;
    private final SecurityHeaders headers = new SecurityHeaders();

    TeamKeyGate(KeyAuthenticator keys, DialectEntryPoint unauthorized, ServerWebExchangeFirewall firewall,
                ServerExchangeRejectedHandler rejected) {
        this.keys = keys;
        this.unauthorized = unauthorized;
        this.firewall = new RequestFirewall(firewall);
        this.rejected = rejected;
    }

    /**
     * {@code handler} for a request the firewall lets through and whose key is a team's, as Spring Security's filter
     * chain proxy runs a chain: a rejection — at once, or when a header the firewall guards is read — goes to the
     * rejection handler; the response gets the security headers when it is committed.
     */
    public Mono<Void> admit(ServerWebExchange exchange, Function<ServerWebExchange, Mono<Void>> handler) {
        return firewall.firewalled(exchange)
                .flatMap(firewalled -> {
                    firewalled.getResponse().beforeCommit(() -> headers.writeHttpHeaders(firewalled));
                    return withTeam(firewalled, (admitted, team) -> handler.apply(admitted));
                })
                .onErrorResume(ServerExchangeRejectedException.class, e -> rejected.handle(exchange, e));
    }

    /** {@code next} with the request's team, in the exchange's attributes too; or the 401. */
    Mono<Void> withTeam(ServerWebExchange exchange, BiFunction<ServerWebExchange, CallerTeam, Mono<Void>> next) {
        String secret = PresentedKey.secret(exchange.getRequest().getHeaders());
        if (secret == null) {
            return unauthorized.refuse(exchange);
        }
        return keys.authenticate(secret).flatMap(team -> {
            if (team.isEmpty()) {
                return unauthorized.refuse(exchange);
            }
            exchange.getAttributes().put(TeamKeyAuthentication.TEAM_ATTRIBUTE, team.get());
            return next.apply(exchange, team.get());
        });
    }
}
