package com.llamagateway.gateway.protocol;

import tools.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/**
 * One event of a streamed answer. A chunk may carry choices, usage, or both.
 *
 * @param usage  null on chunks that carry none
 * @param extras fields of the event the model above does not name (e.g. {@code prompt_filter_results}), as received
 */
public record CanonicalChunk(Operation operation, String id, long created, String model, List<Choice> choices, Usage usage,
                             Map<String, JsonNode> extras) {

    public CanonicalChunk {
        choices = List.copyOf(choices);
        extras = Extras.copy(extras);
    }

    public CanonicalChunk(Operation operation, String id, long created, String model, List<Choice> choices, Usage usage) {
        this(operation, id, created, model, choices, usage, Map.of());
    }

    /** The same event with other choices and without the extras of the original (used for usage-only chunks). */
    public CanonicalChunk withChoices(List<Choice> value) {
        return new CanonicalChunk(operation, id, created, model, value, usage, Map.of());
    }

    public CanonicalChunk withUsage(Usage value) {
        return new CanonicalChunk(operation, id, created, model, choices, value, extras);
    }

    /** Whether the event carries anything for the caller besides usage. */
    public boolean hasContent() {
        return !choices.isEmpty() || !extras.isEmpty();
    }

    /** This chunk under the stream's id, creation time and public model name. */
    public CanonicalChunk identified(String streamId, long streamCreated, String publicModel) {
        return new CanonicalChunk(operation, streamId, streamCreated, publicModel, choices, usage, extras);
    }

    /**
     * A choice's increment.
     *
     * @param delta chat: what the message gained; null for a text completion
     * @param text  text completion: the text gained; null for chat
     */
    public record Choice(int index, Delta delta, String text, String finishReason, JsonNode logprobs, Map<String, JsonNode> extras) {

        public Choice {
            extras = Extras.copy(extras);
        }

        public Choice(int index, Delta delta, String text, String finishReason, JsonNode logprobs) {
            this(index, delta, text, finishReason, logprobs, Map.of());
        }
    }

    /** What an assistant message gained: role (first chunk), content, tool-call fragments, and fields not named here. */
    public record Delta(String role, String content, List<ToolCallDelta> toolCalls, Map<String, JsonNode> extras) {

        public Delta {
            toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
            extras = Extras.copy(extras);
        }

        public Delta(String role, String content, List<ToolCallDelta> toolCalls) {
            this(role, content, toolCalls, Map.of());
        }
    }

    /**
     * A fragment of a tool call. The first fragment of a call names it ({@code id}, {@code name}); later ones add
     * to {@code arguments}. {@code index} says which call of the message it belongs to; dialects without it leave null.
     */
    public record ToolCallDelta(Integer index, String id, String type, String name, String arguments) {
    }
}
