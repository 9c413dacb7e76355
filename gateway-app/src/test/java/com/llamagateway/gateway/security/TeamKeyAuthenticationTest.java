package com.llamagateway.gateway.security;

import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.team.CallerTeam;
import org.junit.jupiter.api.Test;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ServerWebExchange;
import reactor.test.StepVerifier;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every authenticated client request of the end-to-end tests also passes through {@link TeamKeyWebFilter} to here. */
class TeamKeyAuthenticationTest {

    @Test
    void theTeamIsTheOneTheFilterAuthenticated() {
        CallerTeam team = new CallerTeam("team-1", "red", "key-1", List.of("llama"));
        ServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/v1/models"));
        exchange.getAttributes().put(TeamKeyAuthentication.TEAM_ATTRIBUTE, team);

        StepVerifier.create(TeamKeyAuthentication.teamOf(exchange.mutate().build())).expectNext(team).verifyComplete();
    }

    @Test
    void noAuthenticatedTeamIs401() {
        ServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/v1/models"));

        StepVerifier.create(TeamKeyAuthentication.teamOf(exchange))
                .expectErrorSatisfies(error -> assertThat(((GatewayError) error).status().value()).isEqualTo(401))
                .verify();
    }
}
