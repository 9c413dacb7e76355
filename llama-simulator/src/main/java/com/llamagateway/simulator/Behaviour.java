package com.llamagateway.simulator;

import java.time.Duration;
import java.util.Objects;

/**
 * How a simulated deployment answers: latency, length and text of its replies.
 *
 * @param timeToFirstToken delay before the first token (or before a non-streamed answer's body)
 * @param tokenDelay       delay between two streamed tokens (also spent per token on non-streamed answers)
 * @param reply            the text the model "generates"; it is cut at {@code max_tokens} and at stop sequences
 */
public record Behaviour(Duration timeToFirstToken, Duration tokenDelay, String reply) {

    /** 56 words, each one token of the Llama 3 tokenizer family, so that word pieces and token counts agree. */
    public static final String DEFAULT_REPLY = "The llama is a social animal that lives in a group in the high mountains of South America ,"
            + " and it has been used to carry loads for people for a long time . It gives wool for warm clothes , and it can"
            + " be a good friend to a farmer and to a child .";

    public Behaviour {
        Objects.requireNonNull(timeToFirstToken, "timeToFirstToken");
        Objects.requireNonNull(tokenDelay, "tokenDelay");
        Objects.requireNonNull(reply, "reply");
    }

    public static Behaviour instant() {
        return new Behaviour(Duration.ZERO, Duration.ZERO, DEFAULT_REPLY);
    }

    public Behaviour withTimeToFirstToken(Duration value) {
        return new Behaviour(value, tokenDelay, reply);
    }

    public Behaviour withTokenDelay(Duration value) {
        return new Behaviour(timeToFirstToken, value, reply);
    }

    public Behaviour withReply(String value) {
        return new Behaviour(timeToFirstToken, tokenDelay, value);
    }
}
