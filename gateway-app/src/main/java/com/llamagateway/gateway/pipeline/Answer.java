package com.llamagateway.gateway.pipeline;

import reactor.core.publisher.Flux;
import tools.jackson.databind.node.ObjectNode;

/** What the pipeline hands back to the edge: a JSON body, or stream events to flush one by one. */
public sealed interface Answer {

    record Complete(ObjectNode body) implements Answer {
    }

    /** {@code data} payloads in order, {@code [DONE]} included; an error mid-stream becomes its last payload. */
    record Stream(Flux<String> events) implements Answer {
    }
}
