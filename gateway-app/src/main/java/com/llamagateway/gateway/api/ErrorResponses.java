package com.llamagateway.gateway.api;

import com.llamagateway.gateway.protocol.CallerDialect;
import com.llamagateway.gateway.protocol.DialectName;
import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.security.AdminProblems;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import reactor.netty.channel.AbortedException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one place that renders the gateway's errors. Handlers know their caller's dialect; everything that fails before
 * or outside a handler — authentication, the firewall, no such route, Netty's decoder, a slow client — takes the
 * shape of its path: {@code /admin/…} problem details, the Azure client routes ({@code /chat/completions},
 * {@code /completions}, {@code /info}, {@code /models/…}) azure-inference, anything else v1.
 */
public final class ErrorResponses {

    private static final Logger log = LoggerFactory.getLogger(ErrorResponses.class);

    /** An error ready to be written: status, headers (content type included) and body. */
    public record Rendered(HttpStatus status, Map<String, String> headers, byte[] body) {
    }

    private final Json json;
    private final CallerDialect v1;
    private final CallerDialect azure;

    public ErrorResponses(Json json, CallerDialect v1, CallerDialect azure) {
        this.json = json;
        this.v1 = v1;
        this.azure = azure;
    }

    /**
     * Errors Reactor drops because their sequence had already ended — typically a connection reset by a client that
     * has gone, after its request was cancelled: DEBUG for those, ERROR (Reactor's default) for anything else.
     */
    public static void logDroppedErrors() {
        reactor.core.publisher.Hooks.onErrorDropped(error -> {
            if (clientLeft(error)) {
                log.debug("After its request ended, a client's connection failed: {}", error.toString());
            } else {
                log.error("An error arrived after its sequence had ended", error);
            }
        });
    }

    public GatewayError toGatewayError(Throwable error, String requestId) {
        if (error instanceof GatewayError gatewayError) {
            return gatewayError;
        }
        if (clientLeft(error)) { // ordinary client behaviour, and nobody reads this answer
            log.debug("Request {}: the client closed the connection ({})", requestId, error.toString());
            return GatewayError.badRequest(ErrorCode.INVALID_REQUEST, null, "The client closed the connection.");
        }
        log.error("Request {} failed", requestId, error);
        return new GatewayError(HttpStatus.INTERNAL_SERVER_ERROR, ErrorCode.INTERNAL_ERROR,
                "The gateway failed to process the request (request id " + requestId + ").", null, null);
    }

    /** A connection the client closed or reset: Reactor Netty's abort, or the socket's own error. */
    static boolean clientLeft(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AbortedException || t instanceof java.nio.channels.ClosedChannelException
                    || (t instanceof java.io.IOException && t.getMessage() != null
                    && (t.getMessage().contains("Connection reset") || t.getMessage().contains("Broken pipe")))) {
                return true;
            }
        }
        return false;
    }

    /** From a handler, which knows its caller's dialect. */
    DirectResponse response(CallerDialect caller, Throwable error, String requestId) {
        GatewayError e = toGatewayError(error, requestId);
        return DirectResponse.json(e.status(), headers(caller, e), json.writeBytes(caller.encodeError(e)));
    }

    /** Before or outside a handler: in the shape of the path. */
    public Mono<Void> write(ServerWebExchange exchange, GatewayError error) {
        Rendered rendered = render(exchange.getRequest().getPath().pathWithinApplication().value(), error);
        exchange.getResponse().setStatusCode(rendered.status());
        rendered.headers().forEach(exchange.getResponse().getHeaders()::set);
        return exchange.getResponse().writeWith(Mono.just(exchange.getResponse().bufferFactory().wrap(rendered.body())));
    }

    /** For a path: where there is no exchange (a connection's handlers in Netty) or before one is written. */
    public Rendered render(String path, GatewayError error) {
        Map<String, String> headers = new LinkedHashMap<>();
        byte[] body;
        if (path.equals("/admin") || path.startsWith("/admin/")) {
            headers.put("Content-Type", MediaType.APPLICATION_PROBLEM_JSON_VALUE);
            headers.putAll(error.headers());
            body = json.writeBytes(AdminProblems.body(json, error.status(), error.code(), error.param(), error.getMessage()));
        } else {
            CallerDialect caller = ClientRoutes.azure(path) ? azure : v1;
            headers.put("Content-Type", MediaType.APPLICATION_JSON_VALUE);
            headers.putAll(headers(caller, error));
            body = json.writeBytes(caller.encodeError(error));
        }
        return new Rendered(error.status(), headers, body);
    }

    private static Map<String, String> headers(CallerDialect caller, GatewayError error) {
        Map<String, String> headers = new LinkedHashMap<>(error.headers());
        if (caller.name() == DialectName.AZURE_INFERENCE) {
            headers.put("x-ms-error-code", error.code());
        }
        return headers;
    }
}
