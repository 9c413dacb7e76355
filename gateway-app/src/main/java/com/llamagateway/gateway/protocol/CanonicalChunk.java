package com.llamagateway.gateway.protocol;

import tools.jackson.databind.JsonNode;

import java.util.List;

/**
 * One event of a streamed answer. A chunk may carry choices, usage, or both.
 *
 * @param usage null on chunks that carry none
 */
public record CanonicalChunk(Operation operation, String id, long created, String model, List<Choice> choices, Usage usage) {

    public CanonicalChunk {
        choices = List.copyOf(choices);
    }

    public CanonicalChunk withChoices(List<Choice> value) {
        return new CanonicalChunk(operation, id, created, model, value, usage);
    }

    public CanonicalChunk withUsage(Usage value) {
        return new CanonicalChunk(operation, id, created, model, choices, value);
    }

    /** This chunk under the stream's id, creation time and public model name (a backend's own are kept if set). */
    public CanonicalChunk identified(String streamId, long streamCreated, String publicModel) {
        return new CanonicalChunk(operation, id.isEmpty() ? streamId : id, created > 0 ? created : streamCreated, publicModel, choices, usage);
    }

    /**
     * A choice's increment.
     *
     * @param delta chat: what the message gained; null for a text completion
     * @param text  text completion: the text gained; null for chat
     */
    public record Choice(int index, Delta delta, String text, String finishReason, JsonNode logprobs) {
    }

    /** What an assistant message gained: role (first chunk), content, tool-call fragments. */
    public record Delta(String role, String content, List<ToolCallDelta> toolCalls) {

        public Delta {
            toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
        }
    }

    /**
     * A fragment of a tool call. The first fragment of a call names it ({@code id}, {@code name}); later ones add
     * to {@code arguments}. {@code index} says which call of the message it belongs to; dialects without it leave null.
     */
    public record ToolCallDelta(Integer index, String id, String type, String name, String arguments) {
    }
}
