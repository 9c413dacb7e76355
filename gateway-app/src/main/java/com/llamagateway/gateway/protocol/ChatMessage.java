package com.llamagateway.gateway.protocol;

import tools.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/**
 * One message of a chat.
 *
 * @param role       system | user | assistant | tool | developer
 * @param content    a string, an array of content parts ({@code {"type":"text","text":…}}, {@code image_url}, …) or
 *                   null (an assistant message that only calls tools); kept as sent
 * @param name       optional participant name
 * @param toolCalls  the tool calls of an assistant message, empty if none
 * @param toolCallId the call a tool message answers
 * @param extras     fields of the message the model above does not name (e.g. {@code refusal}, {@code reasoning_content}), as sent
 */
public record ChatMessage(String role, JsonNode content, String name, List<ToolCall> toolCalls, String toolCallId,
                          Map<String, JsonNode> extras) {

    public ChatMessage {
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
        extras = Extras.copy(extras);
    }

    public ChatMessage(String role, JsonNode content, String name, List<ToolCall> toolCalls, String toolCallId) {
        this(role, content, name, toolCalls, toolCallId, Map.of());
    }

    public static ChatMessage assistant(String text) {
        return new ChatMessage("assistant", text == null ? null : tools.jackson.databind.node.StringNode.valueOf(text), null, List.of(), null);
    }

    /** The message's text: the string content, or its text parts joined. Images and other parts have none. */
    public String text() {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isString()) {
            return content.stringValue();
        }
        return String.join("", textParts());
    }

    /** Each text part on its own (one element for string content; none for null content). */
    public List<String> textParts() {
        if (content == null || content.isNull()) {
            return List.of();
        }
        if (content.isString()) {
            return List.of(content.stringValue());
        }
        List<String> parts = new java.util.ArrayList<>();
        for (JsonNode part : content) {
            if ("text".equals(part.path("type").asString(""))) {
                parts.add(part.path("text").asString(""));
            }
        }
        return parts;
    }

    /**
     * What content filters judge: the text, then each tool call's name and arguments on lines of their own (so that
     * neither is glued to a word of the text).
     */
    public String screenedText() {
        if (toolCalls.isEmpty()) {
            return text();
        }
        StringBuilder text = new StringBuilder(text());
        for (ToolCall call : toolCalls) {
            text.append('\n').append(call.name() == null ? "" : call.name()).append('\n').append(call.arguments() == null ? "" : call.arguments());
        }
        return text.toString();
    }

    /** Whether every content part is text (so the message can be flattened to a string without loss). */
    public boolean textOnly() {
        if (content == null || !content.isArray()) {
            return true;
        }
        for (JsonNode part : content) {
            if (!"text".equals(part.path("type").asString(""))) {
                return false;
            }
        }
        return true;
    }

    /** A call of a function by the model. {@code arguments} is the JSON text the model produced. */
    public record ToolCall(String id, String type, String name, String arguments) {
    }
}
