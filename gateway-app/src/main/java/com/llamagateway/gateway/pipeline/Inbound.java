package com.llamagateway.gateway.pipeline;

import com.llamagateway.gateway.protocol.CallerDialect;
import com.llamagateway.gateway.protocol.Operation;
import com.llamagateway.gateway.team.CallerTeam;
import org.springframework.http.HttpHeaders;
import tools.jackson.databind.JsonNode;

/**
 * A request as it arrives at the pipeline: parsed (bounded) but not yet understood.
 *
 * @param requestId the {@code x-request-id} of the exchange
 * @param team      the team the request was authenticated as
 * @param caller    the dialect the client speaks
 */
public record Inbound(String requestId, CallerTeam team, CallerDialect caller, Operation operation, JsonNode body, HttpHeaders headers) {

    /** The same without its body, once it is decoded. */
    Inbound withoutBody() {
        return new Inbound(requestId, team, caller, operation, null, headers);
    }
}
