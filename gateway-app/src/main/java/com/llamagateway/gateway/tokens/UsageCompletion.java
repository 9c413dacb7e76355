package com.llamagateway.gateway.tokens;

import com.llamagateway.gateway.protocol.CanonicalRequest;
import com.llamagateway.gateway.protocol.CanonicalResponse;
import com.llamagateway.gateway.protocol.Usage;

import java.util.ArrayList;
import java.util.List;

/**
 * Completes what a deployment left out of an answer: usage counted with the tokenizer when none was reported,
 * and {@code stop} or {@code length} for choices without a finish reason.
 */
public final class UsageCompletion {

    private final LlamaTokenCounter tokens;

    public UsageCompletion(LlamaTokenCounter tokens) {
        this.tokens = tokens;
    }

    /** @param promptTokens the prompt as counted at admission (the same count: not tokenized twice) */
    public CanonicalResponse complete(CanonicalRequest request, CanonicalResponse response, int promptTokens) {
        if (response.usage() != null && response.choices().stream().allMatch(c -> c.finishReason() != null)) {
            return response; // nothing left out: no tokenizing on the common path
        }
        List<CanonicalResponse.Choice> choices = new ArrayList<>(response.choices().size());
        int completionTokens = 0;
        boolean changed = false;
        for (CanonicalResponse.Choice choice : response.choices()) {
            int choiceTokens = tokens.count(choice.outputText());
            completionTokens += choiceTokens;
            if (choice.finishReason() == null) {
                choice = choice.withFinishReason(request.maxTokens() != null && choiceTokens >= request.maxTokens() ? "length" : "stop");
                changed = true;
            }
            choices.add(choice);
        }
        CanonicalResponse completed = changed ? response.withChoices(choices) : response;
        return completed.usage() != null ? completed : completed.withUsage(Usage.of(promptTokens, completionTokens));
    }

    /** Usage of a stream that reported none, from what was streamed. */
    public Usage ofStream(int promptTokens, String streamedText) {
        return Usage.of(promptTokens, tokens.count(streamedText));
    }
}
