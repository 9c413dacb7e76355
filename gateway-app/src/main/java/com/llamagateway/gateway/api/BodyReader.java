package com.llamagateway.gateway.api;

import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.protocol.Json;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.Map;

/**
 * Reads a client's JSON body within the size bound — refused early on a too-large {@code Content-Length}, cut off
 * at the bound for chunked bodies that announce none — and within the body timeout (408, and the connection is
 * closed). A client that leaves mid-body is not an error of the gateway: it gets a 400 nobody reads, logged at DEBUG.
 */
public final class BodyReader {

    private final int maxBytes;
    private final Duration timeout;
    private final Json json;

    public BodyReader(int maxBytes, Duration timeout, Json json) {
        this.maxBytes = maxBytes;
        this.timeout = timeout;
        this.json = json;
    }

    public Mono<JsonNode> read(ServerHttpRequest request) {
        long announced = request.getHeaders().getContentLength();
        if (announced > maxBytes) {
            return Mono.error(tooLarge());
        }
        return DataBufferUtils.join(request.getBody(), maxBytes)
                .map(buffer -> {
                    try {
                        byte[] bytes = new byte[buffer.readableByteCount()];
                        buffer.read(bytes);
                        return bytes;
                    } finally {
                        DataBufferUtils.release(buffer);
                    }
                })
                .timeout(timeout, Mono.error(this::timedOut))
                .onErrorMap(DataBufferLimitException.class, e -> tooLarge())
                .onErrorMap(ErrorResponses::clientLeft, e -> GatewayError.badRequest(
                        ErrorCode.INVALID_REQUEST, null, "The client closed the connection before it sent the whole body."))
                .filter(bytes -> bytes.length > 0)
                .switchIfEmpty(Mono.error(() -> GatewayError.badRequest(ErrorCode.INVALID_JSON, null, "The request body is empty.")))
                .map(json::read);
    }

    private GatewayError tooLarge() {
        return tooLarge(maxBytes);
    }

    /** 413 for a body over {@code gateway.request.max-body-size}: the LLM routes' and pass-through's. */
    public static GatewayError tooLarge(long maxBytes) {
        return new GatewayError(HttpStatus.CONTENT_TOO_LARGE, ErrorCode.REQUEST_TOO_LARGE,
                "The request body exceeds the limit of " + maxBytes + " bytes.", null, null);
    }

    private GatewayError timedOut() {
        return timedOut(timeout);
    }

    /** 408 (and close) for a body not received whole within {@code gateway.request.body-timeout}. */
    public static GatewayError timedOut(Duration timeout) {
        return new GatewayError(HttpStatus.REQUEST_TIMEOUT, ErrorCode.REQUEST_TIMEOUT,
                "The request body was not received within " + timeout.toMillis() + " ms.", null, Map.of("Connection", "close"));
    }
}
