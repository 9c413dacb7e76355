package com.llamagateway.gateway.protocol;

import tools.jackson.databind.JsonNode;

/** How the gateway speaks to a deployment. */
public interface BackendDialect {

    DialectName name();

    /**
     * @param model      the model name to send, or null
     * @param apiVersion the deployment's {@code api-version} (azure-inference only)
     * @throws GatewayError 400 when the request asks for something this dialect cannot express
     */
    BackendRequest encodeRequest(CanonicalRequest request, String model, String apiVersion);

    /** @throws GatewayError 502 when the answer cannot be read */
    CanonicalResponse decodeResponse(CanonicalRequest request, JsonNode body);

    /** Whether the deployment streams itself; if not, the gateway turns its complete answer into a stream. */
    boolean streams();

    /**
     * One event of a stream, from its {@code data} as received (UTF-8; bytes that are not are read as Java decodes
     * them, each bad sequence one U+FFFD).
     *
     * @throws tools.jackson.core.JacksonException when it is not JSON or exceeds a bound
     * @throws GatewayError                        502 when it is JSON but cannot be read as an event
     */
    CanonicalChunk decodeChunk(CanonicalRequest request, byte[] event);
}
