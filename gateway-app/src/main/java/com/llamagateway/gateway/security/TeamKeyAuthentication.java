package com.llamagateway.gateway.security;

import com.llamagateway.gateway.team.CallerTeam;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.AuthorityUtils;

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

    @Override
    public Object getCredentials() {
        return "";
    }

    @Override
    public Object getPrincipal() {
        return team.teamId();
    }
}
