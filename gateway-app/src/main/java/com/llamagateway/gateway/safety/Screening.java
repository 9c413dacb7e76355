package com.llamagateway.gateway.safety;

import java.util.List;

/**
 * What a filter is asked to judge.
 *
 * @param direction input (the prompt) or output (a completion)
 * @param requestId the request's {@code x-request-id}, for the filter's own logs
 * @param teamId    the calling team
 * @param model     the public model name
 * @param prompt    the prompt: every message's text (content parts included), or a text completion's prompts as
 *                  user messages
 * @param preceding output: the completion's text already screened and released before {@code text} (streams are
 *                  screened window by window); empty for the input and for a complete answer
 * @param text      what is judged: input — the prompt's texts, one per line; output — the completion's text, or the
 *                  next window of a stream
 */
public record Screening(Direction direction, String requestId, String teamId, String model, List<Message> prompt,
                        String preceding, String text) {

    public Screening {
        prompt = List.copyOf(prompt);
        preceding = preceding == null ? "" : preceding;
        text = text == null ? "" : text;
    }

    /** The prompt of a request, to judge on the way in. */
    public static Screening input(String requestId, String teamId, String model, List<Message> prompt) {
        return new Screening(Direction.INPUT, requestId, teamId, model, prompt, "", String.join("\n", prompt.stream().map(Message::text).toList()));
    }

    /** The same request's completion text to judge, after {@code preceding} (already released). */
    public Screening judging(String precedingText, String completionText) {
        return new Screening(Direction.OUTPUT, requestId, teamId, model, prompt, precedingText, completionText);
    }

    public enum Direction {
        INPUT, OUTPUT;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One message of the prompt.
     *
     * @param role  system, user, assistant, tool, developer
     * @param text  its text parts joined as the model reads them, then its tool calls' names and arguments, each on a
     *              line of its own
     * @param parts the text parts one by one when there are several (a term alone in a part is glued to its neighbours
     *              in {@code text}); empty otherwise
     */
    public record Message(String role, String text, List<String> parts) {

        public Message {
            parts = List.copyOf(parts);
        }

        public Message(String role, String text) {
            this(role, text, List.of());
        }
    }
}
