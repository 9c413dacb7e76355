package com.llamagateway.gateway.protocol;

import org.springframework.http.HttpHeaders;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The Azure AI Model Inference dialect ({@code /chat/completions}, {@code /completions}). Fields outside its
 * spec — including the Llama parameters {@code n}, {@code best_of}, {@code logprobs}, {@code ignore_eos}, … —
 * are extra parameters governed by the {@code extra-parameters} header: {@code error} (the default) refuses them,
 * {@code drop} ignores them, {@code pass-through} hands them to the model. Streams carry usage in their last chunk.
 */
public final class AzureInferenceCodec extends OpenAiShapedCodec {

    /** Body fields of the Model Inference spec (chat and completions); everything else is an extra parameter. */
    static final Set<String> NATIVE = Set.of("model", "messages", "prompt", "stream", "max_tokens", "stop", "tools",
            "tool_choice", "response_format", "temperature", "top_p", "presence_penalty", "frequency_penalty", "seed", "modalities");
    public static final String EXTRA_PARAMETERS = "extra-parameters";

    public AzureInferenceCodec(Json json) {
        super(json, NATIVE);
    }

    @Override
    public DialectName name() {
        return DialectName.AZURE_INFERENCE;
    }

    @Override
    OpenAiShape.ExtraPolicy extraPolicy(HttpHeaders headers) {
        return extraPolicy(headers.getFirst(EXTRA_PARAMETERS));
    }

    /** {@code allow} and {@code ignore} are the values of older documentation for pass-through and drop. */
    static OpenAiShape.ExtraPolicy extraPolicy(String header) {
        if (header == null) {
            return OpenAiShape.ExtraPolicy.REFUSE;
        }
        return switch (header.trim().toLowerCase(Locale.ROOT)) {
            case "error" -> OpenAiShape.ExtraPolicy.REFUSE;
            case "drop", "ignore" -> OpenAiShape.ExtraPolicy.DROP;
            case "pass-through", "allow" -> OpenAiShape.ExtraPolicy.KEEP;
            default -> throw GatewayError.badRequest(ErrorCode.INVALID_VALUE, EXTRA_PARAMETERS,
                    "The extra-parameters header must be one of error, drop, pass-through.");
        };
    }

    /** {@code azureml-model-deployment}: the deployment (or, on this gateway, the model) the caller targets. */
    @Override
    public String modelHint(HttpHeaders headers) {
        return headers.getFirst("azureml-model-deployment");
    }

    @Override
    public StreamEncoder streamEncoder(CanonicalRequest request) {
        return new AzureStreamEncoder();
    }

    @Override
    public ObjectNode encodeError(GatewayError error) {
        return ErrorBodies.azure(json, error);
    }

    @Override
    public BackendRequest encodeRequest(CanonicalRequest request, String model, String apiVersion) {
        String path = (request.operation() == Operation.CHAT ? "/chat/completions" : "/completions")
                + "?api-version=" + java.net.URLEncoder.encode(apiVersion, java.nio.charset.StandardCharsets.UTF_8);
        ObjectNode body = OpenAiShape.writeRequest(json, request, model);
        boolean extra = body.propertyNames().stream().anyMatch(name -> !NATIVE.contains(name));
        return new BackendRequest(path, extra ? Map.of(EXTRA_PARAMETERS, "pass-through") : Map.of(), body);
    }

    /**
     * Usage goes into the last chunk, the one that ends the choices. That chunk is held until the next one
     * arrives or the stream ends, since an OpenAI-style backend sends usage after it.
     */
    private final class AzureStreamEncoder extends OpenAiStreamEncoder {
        private CanonicalChunk held;

        AzureStreamEncoder() {
            super(true);
        }

        @Override
        List<byte[]> events(CanonicalChunk chunk) {
            List<byte[]> events = new ArrayList<>(2);
            if (held != null) {
                events.add(write(held, null));
                held = null;
            }
            if (chunk.choices().stream().anyMatch(c -> c.finishReason() != null)) {
                held = chunk;
            } else {
                events.add(write(chunk, null));
            }
            return events;
        }

        @Override
        public List<byte[]> finish() {
            return held != null ? List.of(write(held, usage())) : usageOnly();
        }
    }
}
