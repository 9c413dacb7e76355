package com.llamagateway.gateway.protocol;

import org.springframework.http.HttpHeaders;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.List;
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
    public final CanonicalChunk decodeChunk(CanonicalRequest request, byte[] event) {
        return StreamEvents.read(json, request.operation(), event);
    }

    /**
     * What both dialects' stream encoders do: remember the usage (wherever it arrives) and the last event, skip
     * events that carry nothing else, and write events with consistent tool-call identities.
     */
    abstract class OpenAiStreamEncoder implements StreamEncoder {
        private final boolean idOnEveryFragment;
        private final ToolCallTracker tracker = new ToolCallTracker();
        private CanonicalChunk last;
        private Usage usage;

        OpenAiStreamEncoder(boolean idOnEveryFragment) {
            this.idOnEveryFragment = idOnEveryFragment;
        }

        @Override
        public final List<byte[]> encode(CanonicalChunk chunk) {
            if (chunk.usage() != null) {
                usage = chunk.usage();
            }
            last = chunk;
            return chunk.hasContent() ? events(chunk) : List.of();
        }

        /** The events for a chunk that carries something besides usage. */
        abstract List<byte[]> events(CanonicalChunk chunk);

        final byte[] write(CanonicalChunk chunk, Usage withUsage) {
            return StreamEvents.write(json, chunk, withUsage, idOnEveryFragment, tracker);
        }

        /** The usage seen so far, or null. */
        final Usage usage() {
            return usage;
        }

        /** A last event with no choices that carries the usage; empty when there is none to carry. */
        final List<byte[]> usageOnly() {
            return usage == null || last == null ? List.of() : List.of(write(last.withChoices(List.of()), usage));
        }
    }
}
