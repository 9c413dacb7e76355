package com.llamagateway.gateway.upstream;

import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.routing.Deployment;
import io.netty.handler.timeout.ReadTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.JsonNode;

import java.net.ConnectException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * What a deployment's failure means for the caller. A deployment's refusal of the request itself (400, 404, 413,
 * 422, e.g. an unsupported parameter or Azure's content filter) reaches the caller with the deployment's message
 * and code; failures that are not the caller's doing become 502, 503 or 504; a deployment's 429 stays a 429
 * with its retry hint.
 */
public final class UpstreamFailures {

    private static final Logger log = LoggerFactory.getLogger(UpstreamFailures.class);
    private static final Pattern CODE = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");
    private static final int MAX_MESSAGE = 500;

    private UpstreamFailures() {
    }

    static GatewayError fromStatus(Deployment deployment, int status, HttpHeaders headers, String body, Json json) {
        Detail detail = Detail.of(body, json);
        log.warn("Deployment {} answered {} ({})", deployment.name(), status, detail.code() == null ? "no code" : detail.code());
        return switch (status) {
            case 400, 404, 409, 413, 415, 422 -> new GatewayError(HttpStatus.valueOf(status),
                    detail.code() != null ? detail.code() : ErrorCode.UPSTREAM_ERROR,
                    "The model's deployment refused the request: " + detail.message(), detail.param(), null);
            case 401, 403 -> {
                log.error("Deployment {} refused the gateway's credentials ({}): check gateway.deployments.{}.api-key",
                        deployment.name(), status, deployment.name());
                yield new GatewayError(HttpStatus.BAD_GATEWAY, ErrorCode.UPSTREAM_ERROR,
                        "The model's deployment refused the gateway's credentials.", null, null);
            }
            case 408 -> new GatewayError(HttpStatus.GATEWAY_TIMEOUT, ErrorCode.UPSTREAM_TIMEOUT,
                    "The model's deployment timed out.", null, null);
            case 429 -> new GatewayError(HttpStatus.TOO_MANY_REQUESTS, ErrorCode.UPSTREAM_RATE_LIMITED,
                    "The model's deployment is rate limited: " + detail.message(), null, retryHeaders(headers));
            case 503 -> new GatewayError(HttpStatus.SERVICE_UNAVAILABLE, ErrorCode.UPSTREAM_UNAVAILABLE,
                    "The model's deployment is unavailable.", null, retryHeaders(headers));
            case 504 -> new GatewayError(HttpStatus.GATEWAY_TIMEOUT, ErrorCode.UPSTREAM_TIMEOUT,
                    "The model's deployment timed out.", null, null);
            default -> new GatewayError(HttpStatus.BAD_GATEWAY, ErrorCode.UPSTREAM_ERROR,
                    "The model's deployment failed with status " + status + ".", null, null);
        };
    }

    /**
     * A deployment's answer that says it served nothing — 429, 502, 503 or 504 — as the gateway names that failure
     * (with the wait a 429 or 503 asked for, as {@code CoolDowns} reads it); null for any other status. Pass-through
     * passes such an answer on as it is, and tells its breaker and cool-down with this.
     */
    public static GatewayError servedNothing(int status, HttpHeaders headers) {
        return switch (status) {
            case 429 -> new GatewayError(HttpStatus.TOO_MANY_REQUESTS, ErrorCode.UPSTREAM_RATE_LIMITED,
                    "The model's deployment is rate limited.", null, retryHeaders(headers));
            case 502 -> new GatewayError(HttpStatus.BAD_GATEWAY, ErrorCode.UPSTREAM_ERROR, "The model's deployment failed with status 502.", null, null);
            case 503 -> new GatewayError(HttpStatus.SERVICE_UNAVAILABLE, ErrorCode.UPSTREAM_UNAVAILABLE,
                    "The model's deployment is unavailable.", null, retryHeaders(headers));
            case 504 -> new GatewayError(HttpStatus.GATEWAY_TIMEOUT, ErrorCode.UPSTREAM_TIMEOUT, "The model's deployment timed out.", null, null);
            default -> null;
        };
    }

    private static Map<String, String> retryHeaders(HttpHeaders headers) {
        Map<String, String> retry = new LinkedHashMap<>();
        String seconds = headers.getFirst("retry-after");
        String millis = headers.getFirst("retry-after-ms");
        if (seconds != null && seconds.matches("\\d{1,6}")) {
            retry.put("Retry-After", seconds);
        }
        if (millis != null && millis.matches("\\d{1,9}")) {
            retry.put("retry-after-ms", millis);
        }
        return retry;
    }

    static GatewayError tooLarge(Deployment deployment, int maxBytes) {
        log.warn("Deployment {} answered more than the {} bytes of gateway.upstream.max-response-size", deployment.name(), maxBytes);
        return new GatewayError(HttpStatus.BAD_GATEWAY, ErrorCode.UPSTREAM_RESPONSE_TOO_LARGE,
                "The model's deployment returned an answer larger than the gateway's limit of " + maxBytes + " bytes.", null, null);
    }

    /** Transport failures: timeouts are 504, anything else that kept the deployment from answering is 502. */
    public static GatewayError map(Deployment deployment, Throwable error) {

        if (isTimeout(error)) {
            log.warn("Deployment {} timed out: {}", deployment.name(), rootMessage(error));
            return new GatewayError(HttpStatus.GATEWAY_TIMEOUT, ErrorCode.UPSTREAM_TIMEOUT,
                    "The model's deployment did not answer in time.", null, null);
        }
        if (hasCause(error, ConnectException.class)) {
            log.warn("Deployment {} is unreachable: {}", deployment.name(), rootMessage(error));
            return new GatewayError(HttpStatus.BAD_GATEWAY, ErrorCode.UPSTREAM_UNAVAILABLE,
                    "The model's deployment could not be reached.", null, null);
        }
        log.warn("Deployment {} failed: {}", deployment.name(), rootMessage(error));
        return new GatewayError(HttpStatus.BAD_GATEWAY, ErrorCode.UPSTREAM_ERROR,
                "The connection to the model's deployment failed.", null, null);
    }

    private static boolean isTimeout(Throwable error) {
        return hasCause(error, ReadTimeoutException.class) || hasCause(error, TimeoutException.class)
                || hasCause(error, io.netty.channel.ConnectTimeoutException.class);
    }

    private static boolean hasCause(Throwable error, Class<? extends Throwable> type) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }

    /** Message, code and param of a deployment's error body, whichever envelope it used. */
    private record Detail(String message, String code, String param) {

        static Detail of(String body, Json json) {
            String message = null;
            String code = null;
            String param = null;
            try {
                JsonNode node = body == null || body.isBlank() ? null : json.readUntrusted(body);
                if (node != null && node.isObject()) {
                    JsonNode error = node.has("error") ? node.get("error") : node;
                    if (error.isString()) {
                        message = error.stringValue();
                    } else {
                        message = text(error.get("message"));
                        if (message == null) {
                            message = text(error.get("detail"));
                        }
                        code = text(error.get("code"));
                        param = text(error.get("param"));
                    }
                }
            } catch (RuntimeException e) {
                message = null;
            }
            if (code != null && !CODE.matcher(code).matches()) {
                code = null;
            }
            if (code != null && code.matches("\\d+")) {
                code = null; // a bare status number says nothing the status does not
            }
            if (message == null) {
                message = "no details given";
            }
            if (message.length() > MAX_MESSAGE) {
                message = message.substring(0, MAX_MESSAGE) + "…";
            }
            return new Detail(message, code, param);
        }

        private static String text(JsonNode node) {
            if (node == null || node.isNull()) {
                return null;
            }
            return node.isString() ? node.stringValue() : node.toString();
        }
    }
}
