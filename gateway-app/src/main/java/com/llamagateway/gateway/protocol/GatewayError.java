package com.llamagateway.gateway.protocol;

import org.springframework.http.HttpStatus;
import tools.jackson.databind.JsonNode;

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
    private final JsonNode innerError;

    public GatewayError(HttpStatus status, String code, String message, String param, Map<String, String> headers) {
        this(status, code, message, param, headers, null);
    }

    /** @param innerError details written as the error's {@code innererror} (e.g. which content filter fired), or null */
    public GatewayError(HttpStatus status, String code, String message, String param, Map<String, String> headers, JsonNode innerError) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.param = param;
        this.headers = headers == null ? Map.of() : Map.copyOf(headers);
        this.innerError = innerError;
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

    /** Details for the error body's {@code innererror}, or null. */
    public JsonNode innerError() {
        return innerError;
    }

    /** Extra response headers, e.g. {@code Retry-After}. */
    public Map<String, String> headers() {
        return headers;
    }
}
