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

    /** @throws GatewayError 502 when the event cannot be read */
    CanonicalChunk decodeChunk(CanonicalRequest request, JsonNode event);
}
