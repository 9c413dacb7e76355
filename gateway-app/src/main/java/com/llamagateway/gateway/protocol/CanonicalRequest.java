package com.llamagateway.gateway.protocol;

import tools.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/**
 * A completion request in the gateway's own terms, whichever dialect it came in.
 *
 * @param operation    chat or text completion
 * @param model        the public model name asked for, or null when the caller named none
 * @param messages     chat: the conversation; empty for a text completion
 * @param prompt       text completion: the prompt as sent (string, array of strings or of tokens); null for chat
 * @param stream       whether the caller wants server-sent events
 * @param includeUsage the caller asked for {@code stream_options.include_usage}
 * @param maxTokens    output cap the caller asked for ({@code max_tokens} or {@code max_completion_tokens}), or null
 * @param n            number of choices asked for, or null
 * @param stop         stop sequences (a single string becomes a one-element list), or null
 * @param tools        tool definitions as sent, or null
 * @param toolChoice   tool choice as sent, or null
 * @param responseFormat response format as sent, or null
 * @param parameters   every other generation parameter of the dialects' request tables (temperature, top_p,
 *                     best_of, logprobs, ignore_eos, use_beam_search, stop_token_ids, skip_special_tokens, …), as sent
 * @param extras       fields no dialect defines, which the caller's dialect lets through to the model
 */
public record CanonicalRequest(Operation operation, String model, List<ChatMessage> messages, JsonNode prompt,
                               boolean stream, boolean includeUsage, Integer maxTokens, Integer n, List<String> stop,
                               JsonNode tools, JsonNode toolChoice, JsonNode responseFormat,
                               Map<String, JsonNode> parameters, Map<String, JsonNode> extras) {

    public CanonicalRequest {
        messages = messages == null ? List.of() : List.copyOf(messages);
        stop = stop == null ? null : List.copyOf(stop);
        parameters = parameters == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(parameters));
        extras = extras == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(extras));
    }

    public CanonicalRequest withModel(String value) {
        return new CanonicalRequest(operation, value, messages, prompt, stream, includeUsage, maxTokens, n, stop, tools,
                toolChoice, responseFormat, parameters, extras);
    }

    /**
     * The request without its prompt (messages, prompt), for what an answer needs of it while it streams — the
     * operation, the model, the options: an open stream need not keep the prompt for as long as it lasts.
     */
    public CanonicalRequest withoutPrompt() {
        return new CanonicalRequest(operation, model, List.of(), null, stream, includeUsage, maxTokens, n, stop, tools,
                toolChoice, responseFormat, parameters, extras);
    }

    /** The prompt's texts: one per prompt string of a text completion (token arrays have no text). */
    public List<String> promptTexts() {
        if (prompt == null || prompt.isNull()) {
            return List.of();
        }
        if (prompt.isString()) {
            return List.of(prompt.stringValue());
        }
        List<String> texts = new java.util.ArrayList<>();
        prompt.forEach(p -> {
            if (p.isString()) {
                texts.add(p.stringValue());
            }
        });
        return texts;
    }
}
