package com.llamagateway.gateway.security;

import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.team.CallerTeam;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** A client request authenticated by a team key. Carries the team, never the key. */
public final class TeamKeyAuthentication extends AbstractAuthenticationToken {

    /** The exchange attribute {@link TeamKeyGate} puts the authenticated team in. */
    static final String TEAM_ATTRIBUTE = TeamKeyAuthentication.class.getName() + ".team";

    private final CallerTeam team;

    TeamKeyAuthentication(CallerTeam team) {
        super(AuthorityUtils.createAuthorityList("ROLE_TEAM"));
        this.team = team;
        setAuthenticated(true);
    }

    public CallerTeam team() {
        return team;
    }

    /**
     * The team a client request was authenticated as ({@link TeamKeyGate}); 401 where there is none (a route the
     * gate did not admit). Read from the exchange's attributes: {@code exchange.getPrincipal()} finds the chain's
     * security context through six operators, one of which restores every thread local of the Reactor context (Spring
     * Security's {@code mapNotNull}), ~1 % of a completion's CPU; the LLM routes have no security context at all.
     */
    public static Mono<CallerTeam> teamOf(ServerWebExchange exchange) {
        CallerTeam team = exchange.getAttribute(TEAM_ATTRIBUTE);
        return team != null ? Mono.just(team) : Mono.error(() -> new GatewayError(HttpStatus.UNAUTHORIZED, ErrorCode.INVALID_API_KEY,
                "No API key: send it as 'Authorization: Bearer <key>' or 'api-key: <key>'.", null, null));
    }

    @Override
    public Object getCredentials() {
        return "";
    }

    @Override
    public Object getPrincipal() {
        return team.teamId();
    }
}
