package com.llamagateway.simulator;

import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/** What the simulated model was asked for, read from a Llama API / Model Inference / score request body. */
record GenerationRequest(boolean chat, List<String> promptTexts, int promptTokens, Integer maxTokens, int n,
                         List<String> stop, boolean stream, boolean includeUsage, ToolChoice toolCall,
                         JsonNode logprobs) {

    /** The function the model "decides" to call, when the caller forced a tool call. */
    record ToolChoice(String name) {
    }

    static List<String> stop(JsonNode stop) {
        List<String> result = new ArrayList<>();
        if (stop == null || stop.isNull()) {
            return result;
        }
        if (stop.isString()) {
            result.add(stop.stringValue());
        } else if (stop.isArray()) {
            stop.forEach(s -> result.add(s.asString()));
        } else {
            throw new InvalidRequest("stop", "'stop' must be a string or an array of strings");
        }
        return result;
    }

    static String messageText(JsonNode content) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isString()) {
            return content.stringValue();
        }
        if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                if ("text".equals(part.path("type").asString(""))) {
                    text.append(part.path("text").asString(""));
                }
            }
            return text.toString();
        }
        throw new InvalidRequest("messages", "message content must be a string or an array of content parts");
    }

    /** A request the simulated backend refuses, with the offending field. */
    static final class InvalidRequest extends RuntimeException {
        final String param;

        InvalidRequest(String param, String message) {
            super(message);
            this.param = param;
        }
    }
}
