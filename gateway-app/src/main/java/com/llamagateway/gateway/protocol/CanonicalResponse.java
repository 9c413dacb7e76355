package com.llamagateway.gateway.protocol;

import tools.jackson.databind.JsonNode;

import java.util.List;

/**
 * A complete (non-streamed) answer.
 *
 * @param usage null when the backend reported none
 */
public record CanonicalResponse(Operation operation, String id, long created, String model, List<Choice> choices,
                                Usage usage, String systemFingerprint) {

    public CanonicalResponse {
        choices = List.copyOf(choices);
    }

    /** This answer under the public model name, with an id and creation time if the backend gave none. */
    public CanonicalResponse identified(String fallbackId, long fallbackCreated, String publicModel) {
        return new CanonicalResponse(operation, id.isEmpty() ? fallbackId : id, created > 0 ? created : fallbackCreated,
                publicModel, choices, usage, systemFingerprint);
    }

    public CanonicalResponse withUsage(Usage value) {
        return new CanonicalResponse(operation, id, created, model, choices, value, systemFingerprint);
    }

    /**
     * One choice.
     *
     * @param message chat: the assistant message; null for a text completion
     * @param text    text completion: the text; null for chat
     */
    public record Choice(int index, ChatMessage message, String text, String finishReason, JsonNode logprobs) {

        /** The generated text, whichever the operation. */
        public String outputText() {
            return message != null ? message.text() : (text == null ? "" : text);
        }
    }
}
