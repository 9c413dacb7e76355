package com.llamagateway.gateway.protocol;

import org.springframework.http.HttpHeaders;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.Set;

/**
 * What the v1 and azure-inference dialects have in common: OpenAI-shaped bodies, answers and stream events.
 * A subclass says only what differs — its native fields and extra-parameter rule, its paths and headers, where
 * stream usage goes, and its error envelope.
 */
abstract class OpenAiShapedCodec implements CallerDialect, BackendDialect {

    protected final Json json;
    private final Set<String> nativeFields;

    OpenAiShapedCodec(Json json, Set<String> nativeFields) {
        this.json = json;
        this.nativeFields = nativeFields;
    }

    /** What to do with body fields outside {@code nativeFields}, as the request's headers say. */
    abstract OpenAiShape.ExtraPolicy extraPolicy(HttpHeaders headers);

    @Override
    public final CanonicalRequest decodeRequest(Operation operation, JsonNode body, HttpHeaders headers) {
        return OpenAiShape.readRequest(operation, body, nativeFields, extraPolicy(headers));
    }

    @Override
    public final ObjectNode encodeResponse(CanonicalResponse response) {
        return OpenAiShape.writeResponse(json, response);
    }

    @Override
    public final CanonicalResponse decodeResponse(CanonicalRequest request, JsonNode body) {
        return OpenAiShape.readResponse(request.operation(), body);
    }

    @Override
    public final boolean streams() {
        return true;
    }

    @Override
    public final CanonicalChunk decodeChunk(CanonicalRequest request, JsonNode event) {
        return OpenAiShape.readChunk(request.operation(), event);
    }
}
