package com.llamagateway.gateway.protocol;

import org.springframework.http.HttpStatus;

import java.util.Map;

/**
 * A request the gateway refuses or could not serve, with what the caller needs to know. Rendered in the caller's
 * dialect; never carries a stack trace or a secret.
 *
 * @see ErrorCode
 */
public final class GatewayError extends RuntimeException {

    private final HttpStatus status;
    private final String code;
    private final String param;
    private final Map<String, String> headers;

    public GatewayError(HttpStatus status, String code, String message, String param, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.param = param;
        this.headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    public static GatewayError badRequest(String code, String param, String message) {
        return new GatewayError(HttpStatus.BAD_REQUEST, code, message, param, null);
    }

    public static GatewayError invalidType(String param, String expected) {
        return badRequest(ErrorCode.INVALID_TYPE, param, "'" + param + "' must be " + expected + ".");
    }

    public static GatewayError missing(String param) {
        return badRequest(ErrorCode.MISSING_REQUIRED_PARAMETER, param, "Missing required parameter: '" + param + "'.");
    }

    public HttpStatus status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String param() {
        return param;
    }

    /** Extra response headers, e.g. {@code Retry-After}. */
    public Map<String, String> headers() {
        return headers;
    }
}
