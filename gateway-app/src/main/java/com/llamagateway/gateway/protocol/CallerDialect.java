package com.llamagateway.gateway.protocol;

import org.springframework.http.HttpHeaders;
import tools.jackson.databind.node.ObjectNode;

/** How a client speaks to the gateway: its request, answer, stream and error formats. */
public interface CallerDialect {

    DialectName name();

    /** @throws GatewayError 400 for anything the dialect does not accept */
    CanonicalRequest decodeRequest(Operation operation, tools.jackson.databind.JsonNode body, HttpHeaders headers);

    ObjectNode encodeResponse(CanonicalResponse response);

    /** A fresh encoder for one stream (encoders keep per-stream state). */
    StreamEncoder streamEncoder(CanonicalRequest request);

    ObjectNode encodeError(GatewayError error);

    /** A model or deployment the dialect lets the caller name outside the body, or null. */
    default String modelHint(HttpHeaders headers) {
        return null;
    }
}
