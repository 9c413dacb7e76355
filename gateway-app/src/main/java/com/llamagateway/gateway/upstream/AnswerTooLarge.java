package com.llamagateway.gateway.upstream;

/** A deployment's answer, or one event of its stream, over {@code gateway.upstream.max-response-size}. */
final class AnswerTooLarge extends RuntimeException {

    AnswerTooLarge(int maxBytes) {
        super("an answer of more than " + maxBytes + " bytes", null, false, false);
    }
}
