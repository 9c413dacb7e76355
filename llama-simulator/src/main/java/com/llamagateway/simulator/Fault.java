package com.llamagateway.simulator;

/** A misbehaviour a test switches on for the next requests of a simulated deployment. */
public sealed interface Fault {

    /** Answer with this HTTP status and an Azure-style error body instead of generating. */
    record Status(int status, String message) implements Fault {
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
