package com.llamagateway.gateway.api;

import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;

import java.util.Map;

/**
 * Errors that happen outside a handler — no such route, wrong method, unexpected failures — rendered in the
 * shape of the path (see {@link ErrorResponses}), never with a stack trace.
 */
public final class FallbackErrorHandler implements WebExceptionHandler, Ordered {

    private final ErrorResponses errors;

    public FallbackErrorHandler(ErrorResponses errors) {
        this.errors = errors;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable ex) {
        if (exchange.getResponse().isCommitted()) {
            return Mono.error(ex);
        }
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        if (path.startsWith("/actuator")) {
            return Mono.error(ex);
        }
        GatewayError error = ex instanceof ResponseStatusException rse ? fromStatus(rse.getStatusCode(), exchange)
                : errors.toGatewayError(ex, RequestIdFilter.of(exchange));
        return errors.write(exchange, error);
    }

    private static GatewayError fromStatus(HttpStatusCode status, ServerWebExchange exchange) {
        String route = exchange.getRequest().getMethod() + " " + exchange.getRequest().getPath().value();
        if (route.length() > 200) {
            route = route.substring(0, 200) + "…";
        }
        HttpMethod method = ClientRoutes.METHODS.get(exchange.getRequest().getPath().pathWithinApplication().value());
        if (status.value() == 404 && method != null) {
            String allowed = method.name();
            return new GatewayError(HttpStatus.METHOD_NOT_ALLOWED, ErrorCode.METHOD_NOT_ALLOWED, "Method not allowed: " + route
                    + "; this route takes " + allowed + ".", null, Map.of("Allow", allowed));
        }
        String deployment = ClientRoutes.passThroughDeployment(exchange.getRequest().getPath().pathWithinApplication().value());
        if (status.value() == 404 && deployment != null) {
            return new GatewayError(HttpStatus.NOT_FOUND, ErrorCode.NOT_FOUND, "No deployment named '" + (deployment.length() > 100
                    ? deployment.substring(0, 100) + "…" : deployment) + "' is open to pass-through.", null, null);
        }
        return switch (status.value()) {
            case 404 -> new GatewayError(HttpStatus.NOT_FOUND, ErrorCode.NOT_FOUND, "No such route: " + route + ".", null, null);
            case 405 -> new GatewayError(HttpStatus.METHOD_NOT_ALLOWED, ErrorCode.METHOD_NOT_ALLOWED, "Method not allowed: " + route + ".", null, null);
            case 415 -> new GatewayError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Unsupported media type.", null, null);
            case 413 -> new GatewayError(HttpStatus.CONTENT_TOO_LARGE, ErrorCode.REQUEST_TOO_LARGE, "The request is too large.", null, null);
            default -> new GatewayError(HttpStatus.valueOf(status.value()), status.is5xxServerError() ? ErrorCode.INTERNAL_ERROR
                    : ErrorCode.INVALID_VALUE, "The request could not be processed.", null, null);
        };
    }

    @Override
    public int getOrder() {
        return -2; // before Spring Boot's default handler (-1)
    }
}
