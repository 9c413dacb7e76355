package com.llamagateway.gateway.security;

import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.team.CallerTeam;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.AuthorityUtils;
import reactor.core.publisher.Mono;

import java.security.Principal;

/** A client request authenticated by a team key. Carries the team, never the key. */
public final class TeamKeyAuthentication extends AbstractAuthenticationToken {

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
     * The team a client request was authenticated as (by the client security chain), from the request's principal;
     * 401 where there is none (a route outside the chain).
     */
    public static Mono<CallerTeam> teamOf(Mono<? extends Principal> principal) {
        return principal
                .filter(TeamKeyAuthentication.class::isInstance)
                .map(authenticated -> ((TeamKeyAuthentication) authenticated).team())
                .switchIfEmpty(Mono.error(() -> new GatewayError(HttpStatus.UNAUTHORIZED, ErrorCode.INVALID_API_KEY,
                        "No API key: send it as 'Authorization: Bearer <key>' or 'api-key: <key>'.", null, null)));
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
