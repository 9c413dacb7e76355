package com.llamagateway.gateway.protocol;

import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * JSON reading and writing with bounds: nesting depth, document and string length. Every body from a client or
 * a backend is parsed here.
 */
public final class Json {

    private final JsonMapper mapper;

    public Json(int maxNestingDepth, long maxDocumentBytes) {
        StreamReadConstraints constraints = StreamReadConstraints.builder()
                .maxNestingDepth(maxNestingDepth)
                .maxDocumentLength(maxDocumentBytes)
                .maxStringLength((int) Math.min(Integer.MAX_VALUE, maxDocumentBytes))
                .maxNumberLength(100)
                .maxNameLength(1024)
                .build();
        this.mapper = JsonMapper.builder(JsonFactory.builder().streamReadConstraints(constraints).build()).build();
    }

    /** For tests and codecs that only build nodes. */
    public static Json lenient() {
        return new Json(256, 64L * 1024 * 1024);
    }

    /** @throws GatewayError 400 {@code invalid_json} for malformed or over-deep JSON, without echoing the input */
    public JsonNode read(byte[] body) {
        try {
            return mapper.readTree(body);
        } catch (StreamConstraintsException e) {
            throw GatewayError.badRequest(ErrorCode.INVALID_JSON, null, "The request body exceeds a JSON limit: " + e.getOriginalMessage());
        } catch (JacksonException e) {
            throw GatewayError.badRequest(ErrorCode.INVALID_JSON, null, "The request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /** Parses a backend's JSON; the caller maps the failure (a backend's bad JSON is not the client's fault). */
    public JsonNode readUntrusted(String text) {
        return mapper.readTree(text);
    }

    public String write(JsonNode node) {
        return mapper.writeValueAsString(node);
    }

    public ObjectNode object() {
        return mapper.createObjectNode();
    }

    public ArrayNode array() {
        return mapper.createArrayNode();
    }
}
