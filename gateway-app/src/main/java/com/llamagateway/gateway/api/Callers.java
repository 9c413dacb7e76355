package com.llamagateway.gateway.api;

import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.security.TeamKeyAuthentication;
import com.llamagateway.gateway.team.CallerTeam;
import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.server.ServerRequest;
import reactor.core.publisher.Mono;

/** The team a client request was authenticated as (by the client security chain). */
final class Callers {

    private Callers() {
    }

    static Mono<CallerTeam> team(ServerRequest request) {
        return request.principal()
                .filter(TeamKeyAuthentication.class::isInstance)
                .map(principal -> ((TeamKeyAuthentication) principal).team())
                .switchIfEmpty(Mono.error(() -> new GatewayError(HttpStatus.UNAUTHORIZED, ErrorCode.INVALID_API_KEY,
                        "No API key: send it as 'Authorization: Bearer <key>' or 'api-key: <key>'.", null, null)));
    }
}
