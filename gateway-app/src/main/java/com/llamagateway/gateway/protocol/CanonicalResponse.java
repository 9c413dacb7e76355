package com.llamagateway.gateway.protocol;

import tools.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/**
 * A complete (non-streamed) answer.
 *
 * @param usage  null when the backend reported none
 * @param extras fields of the answer the model above does not name (e.g. {@code prompt_filter_results}), as received
 */
public record CanonicalResponse(Operation operation, String id, long created, String model, List<Choice> choices,
                                Usage usage, String systemFingerprint, Map<String, JsonNode> extras) {

    public CanonicalResponse {
        choices = List.copyOf(choices);
        extras = Extras.copy(extras);
    }

    public CanonicalResponse(Operation operation, String id, long created, String model, List<Choice> choices, Usage usage,
                             String systemFingerprint) {
        this(operation, id, created, model, choices, usage, systemFingerprint, Map.of());
    }

    /** This answer under the public model name, with an id and creation time if the backend gave none. */
    public CanonicalResponse identified(String fallbackId, long fallbackCreated, String publicModel) {
        return new CanonicalResponse(operation, id.isEmpty() ? fallbackId : id, created > 0 ? created : fallbackCreated,
                publicModel, choices, usage, systemFingerprint, extras);
    }

    public CanonicalResponse withUsage(Usage value) {
        return new CanonicalResponse(operation, id, created, model, choices, value, systemFingerprint, extras);
    }

    public CanonicalResponse withChoices(List<Choice> value) {
        return new CanonicalResponse(operation, id, created, model, value, usage, systemFingerprint, extras);
    }

    /**
     * One choice.
     *
     * @param message chat: the assistant message; null for a text completion
     * @param text    text completion: the text; null for chat
     * @param extras  fields of the choice the model above does not name (e.g. {@code content_filter_results})
     */
    public record Choice(int index, ChatMessage message, String text, String finishReason, JsonNode logprobs,
                         Map<String, JsonNode> extras) {

        public Choice {
            extras = Extras.copy(extras);
        }

        public Choice(int index, ChatMessage message, String text, String finishReason, JsonNode logprobs) {
            this(index, message, text, finishReason, logprobs, Map.of());
        }

        public Choice withFinishReason(String value) {
            return new Choice(index, message, text, value, logprobs, extras);
        }

        /** The generated text, whichever the operation. */
        public String outputText() {
            return message != null ? message.text() : (text == null ? "" : text);
        }

        /** What content filters judge: the text and, for chat, the tool calls' names and arguments. */
        public String screenedText() {
            return message != null ? message.screenedText() : (text == null ? "" : text);
        }
    }
}
