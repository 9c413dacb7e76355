package com.llamagateway.gateway.api;

import com.llamagateway.gateway.protocol.CallerDialect;
import com.llamagateway.gateway.protocol.DialectName;
import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.protocol.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/** Renders any failure in the caller's dialect: a {@link GatewayError} as it is, anything else as a logged 500. */
public final class ErrorResponses {

    private static final Logger log = LoggerFactory.getLogger(ErrorResponses.class);

    private final Json json;

    public ErrorResponses(Json json) {
        this.json = json;
    }

    public GatewayError toGatewayError(Throwable error, String requestId) {
        if (error instanceof GatewayError gatewayError) {
            return gatewayError;
        }
        log.error("Request {} failed", requestId, error);
        return new GatewayError(HttpStatus.INTERNAL_SERVER_ERROR, ErrorCode.INTERNAL_ERROR,
                "The gateway failed to process the request (request id " + requestId + ").", null, null);
    }

    public Mono<ServerResponse> render(CallerDialect caller, Throwable error, String requestId) {
        GatewayError e = toGatewayError(error, requestId);
        ServerResponse.BodyBuilder builder = ServerResponse.status(e.status()).contentType(MediaType.APPLICATION_JSON);
        e.headers().forEach(builder::header);
        if (caller.name() == DialectName.AZURE_INFERENCE) {
            builder.header("x-ms-error-code", e.code());
        }
        return builder.bodyValue(json.write(caller.encodeError(e)));
    }
}
