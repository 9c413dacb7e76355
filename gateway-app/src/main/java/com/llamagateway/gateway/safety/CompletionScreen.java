package com.llamagateway.gateway.safety;

import com.llamagateway.gateway.protocol.CanonicalResponse;
import com.llamagateway.gateway.protocol.ChatMessage;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Screens a complete (non-streamed) answer: every choice's text and tool calls, concurrently. A blocked choice keeps its place
 * with its content withheld (empty text, no tool calls), {@code finish_reason: "content_filter"} and
 * {@code content_filter_results} saying which filter fired.
 */
public final class CompletionScreen {

    public static final String CONTENT_FILTER = "content_filter";

    /** The answer as it may reach the caller, and the annotations of its choices. */
    public record Screened(CanonicalResponse response, List<Finding> annotations) {
    }

    private CompletionScreen() {
    }

    /** @param base the request's screening (direction output, prompt as context); each choice's text is judged in turn */
    public static Mono<Screened> screen(SafetyChain chain, Screening base, CanonicalResponse response) {
        if (chain.isEmpty()) {
            return Mono.just(new Screened(response, List.of()));
        }
        return Flux.mergeSequential(response.choices().stream()
                        .map(choice -> chain.screen(base.judging("", choice.screenedText()))).toList())
                .collectList()
                .map(outcomes -> {
                    List<CanonicalResponse.Choice> choices = new ArrayList<>();
                    List<Finding> annotations = new ArrayList<>();
                    for (int i = 0; i < outcomes.size(); i++) {
                        Outcome outcome = outcomes.get(i);
                        CanonicalResponse.Choice choice = response.choices().get(i);
                        choices.add(outcome.blocked() ? withheld(choice, outcome.block()) : choice);
                        annotations.addAll(outcome.annotations());
                    }
                    return new Screened(response.withChoices(choices), annotations);
                });
    }

    private static CanonicalResponse.Choice withheld(CanonicalResponse.Choice choice, Finding block) {
        Map<String, tools.jackson.databind.JsonNode> extras = new LinkedHashMap<>(choice.extras());
        extras.put(ContentFilterResults.FIELD, ContentFilterResults.of(block));
        return new CanonicalResponse.Choice(choice.index(), choice.message() == null ? null : ChatMessage.assistant(""),
                choice.message() == null ? "" : null, CONTENT_FILTER, null, extras);
    }
}
