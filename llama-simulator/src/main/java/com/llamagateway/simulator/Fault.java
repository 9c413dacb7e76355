package com.llamagateway.simulator;

/** A misbehaviour a test switches on for the next requests of a simulated deployment. */
public sealed interface Fault {

    /**
     * Answer with this HTTP status and the API's error body instead of generating.
     *
     * @param retryAfter sent as {@code retry-after} (seconds, rounded up) and {@code retry-after-ms}; null: a 429
     *                   says {@code retry-after: 1}, anything else no wait
     */
    record Status(int status, String message, java.time.Duration retryAfter) implements Fault {

        public Status(int status, String message) {
            this(status, message, null);
        }
    }

    /** Accept the request and never answer. */
    record Hang() implements Fault {
    }

    /** Wait this long before doing anything else. */
    record Delay(java.time.Duration delay) implements Fault {
    }

    /** Stream this many tokens, then drop the connection without ending the stream. */
    record DropMidStream(int afterTokens) implements Fault {
    }
}
