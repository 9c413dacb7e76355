package com.llamagateway.gateway.safety;

import com.llamagateway.gateway.protocol.CanonicalRequest;
import com.llamagateway.gateway.protocol.ChatMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The company's content-safety policy: for each model the chain that screens its prompts and the chain that screens
 * its completions (a model's own, or the default), and how streams are held back for screening.
 */
public final class SafetyPolicy {

    /** The input and output chains of one model. */
    public record Chains(SafetyChain input, SafetyChain output) {

        public boolean screenNothing() {
            return input.isEmpty() && output.isEmpty();
        }
    }

    private final Chains defaults;
    private final Map<String, Chains> byModel;
    private final int window;
    private final int overlap;

    /**
     * @param window  characters of a stream screened together
     * @param overlap characters at the end of a screened window held back and screened again with the next one
     */
    public SafetyPolicy(Chains defaults, Map<String, Chains> byModel, int window, int overlap) {
        if (window < 1 || overlap < 0) {
            throw new IllegalArgumentException("gateway.safety.stream: window must be at least 1 and overlap at least 0");
        }
        this.defaults = defaults;
        this.byModel = Map.copyOf(byModel);
        this.window = window;
        this.overlap = overlap;
    }

    public Chains chains(String model) {
        return byModel.getOrDefault(model, defaults);
    }

    public int window() {
        return window;
    }

    public int overlap() {
        return overlap;
    }

    /**
     * The prompt as filters see it: each chat message's text (string content or every text part of a content-part
     * array, in order, and its tool calls' names and arguments), or each prompt string of a text completion as a user
     * message.
     */
    public static List<Screening.Message> prompt(CanonicalRequest request) {
        List<Screening.Message> messages = new ArrayList<>();
        for (ChatMessage message : request.messages()) {
            List<String> parts = message.textParts();
            messages.add(new Screening.Message(message.role(), message.screenedText(), parts.size() > 1 ? parts : List.of()));
        }
        for (String text : request.promptTexts()) {
            messages.add(new Screening.Message("user", text));
        }
        return messages;
    }
}
