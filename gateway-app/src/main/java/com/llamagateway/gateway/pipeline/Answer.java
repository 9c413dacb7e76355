package com.llamagateway.gateway.pipeline;

import reactor.core.publisher.Flux;
import tools.jackson.databind.node.ObjectNode;

import java.util.Map;

/** What the pipeline hands back to the edge: a JSON body, or stream events to flush one by one, and headers. */
public sealed interface Answer {

    /** Response headers, e.g. the {@code x-ratelimit-*} of the admitted request. */
    Map<String, String> headers();

    record Complete(ObjectNode body, Map<String, String> headers) implements Answer {
    }

    /**
     * Event frames in order ({@code data: …\n\n}, UTF-8), {@code [DONE]} included; an error mid-stream becomes the
     * last event.
     */
    record Stream(Flux<byte[]> events, Map<String, String> headers) implements Answer {
    }
}
