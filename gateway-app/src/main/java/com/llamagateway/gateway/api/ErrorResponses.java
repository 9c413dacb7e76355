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
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Renders any failure of a client route in the caller's dialect: a {@link GatewayError} as it is, anything else as
 * a logged 500. Handlers know their dialect; errors raised before a handler (authentication, no such route) take
 * the dialect of the path.
 */
public final class ErrorResponses {

    private static final Logger log = LoggerFactory.getLogger(ErrorResponses.class);

    private final Json json;
    private final CallerDialect v1;
    private final CallerDialect azure;

    public ErrorResponses(Json json, CallerDialect v1, CallerDialect azure) {
        this.json = json;
        this.v1 = v1;
        this.azure = azure;
    }

    public GatewayError toGatewayError(Throwable error, String requestId) {
        if (error instanceof GatewayError gatewayError) {
            return gatewayError;
        }
        log.error("Request {} failed", requestId, error);
        return new GatewayError(HttpStatus.INTERNAL_SERVER_ERROR, ErrorCode.INTERNAL_ERROR,
                "The gateway failed to process the request (request id " + requestId + ").", null, null);
    }

    /** From a handler, which knows its caller's dialect. */
    public Mono<ServerResponse> render(CallerDialect caller, Throwable error, String requestId) {
        GatewayError e = toGatewayError(error, requestId);
        ServerResponse.BodyBuilder builder = ServerResponse.status(e.status()).contentType(MediaType.APPLICATION_JSON);
        headers(caller, e).forEach(builder::header);
        return builder.bodyValue(json.write(caller.encodeError(e)));
    }

    /** Before or outside a handler: in the dialect of the path ({@code /v1/…}: v1, otherwise azure-inference). */
    public Mono<Void> write(ServerWebExchange exchange, GatewayError error) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        CallerDialect caller = path.startsWith("/v1/") || path.equals("/v1") ? v1 : azure;
        exchange.getResponse().setStatusCode(error.status());
        exchange.getResponse().getHeaders().setContentType(MediaType.APPLICATION_JSON);
        headers(caller, error).forEach(exchange.getResponse().getHeaders()::set);
        byte[] body = json.write(caller.encodeError(error)).getBytes(StandardCharsets.UTF_8);
        return exchange.getResponse().writeWith(Mono.just(exchange.getResponse().bufferFactory().wrap(body)));
    }

    private static Map<String, String> headers(CallerDialect caller, GatewayError error) {
        Map<String, String> headers = new LinkedHashMap<>(error.headers());
        if (caller.name() == DialectName.AZURE_INFERENCE) {
            headers.put("x-ms-error-code", error.code());
        }
        return headers;
    }
}
