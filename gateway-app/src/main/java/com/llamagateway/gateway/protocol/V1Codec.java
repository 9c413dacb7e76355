package com.llamagateway.gateway.protocol;

import org.springframework.http.HttpHeaders;
import tools.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Llama / OpenAI {@code /v1} dialect. Every field of the Llama API's request tables is native; unknown
 * fields pass through to the model, as OpenAI-compatible servers accept them. Streams follow OpenAI: usage only
 * when {@code stream_options.include_usage} asked for it, in an extra chunk with no choices.
 */
public final class V1Codec extends OpenAiShapedCodec {

    private static final Set<String> NATIVE = union(OpenAiShape.STRUCTURAL, OpenAiShape.PARAMETERS);

    public V1Codec(Json json) {
        super(json, NATIVE);
    }

    static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new java.util.HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }

    @Override
    public DialectName name() {
        return DialectName.V1;
    }

    /** Unknown fields go to the model, as OpenAI-compatible servers take them. */
    @Override
    OpenAiShape.ExtraPolicy extraPolicy(HttpHeaders headers) {
        return OpenAiShape.ExtraPolicy.KEEP;
    }

    @Override
    public StreamEncoder streamEncoder(CanonicalRequest request) {
        return new V1StreamEncoder(request.includeUsage());
    }

    @Override
    public ObjectNode encodeError(GatewayError error) {
        return ErrorBodies.v1(json, error);
    }

    @Override
    public BackendRequest encodeRequest(CanonicalRequest request, String model, String apiVersion) {
        String path = request.operation() == Operation.CHAT ? "/v1/chat/completions" : "/v1/completions";
        return new BackendRequest(path, Map.of(), OpenAiShape.writeRequest(json, request, model));
    }

    /** Usage is withheld from content chunks and sent, if asked for, as a final chunk with {@code choices: []}. */
    private final class V1StreamEncoder extends OpenAiStreamEncoder {
        private final boolean includeUsage;

        V1StreamEncoder(boolean includeUsage) {
            super(false);
            this.includeUsage = includeUsage;
        }

        @Override
        List<byte[]> events(CanonicalChunk chunk) {
            return List.of(write(chunk, null));
        }

        @Override
        public List<byte[]> finish() {
            return includeUsage ? usageOnly() : List.of();
        }
    }
}
