package com.llamagateway.gateway.safety;

import java.util.List;

/**
 * What a chain concluded about one screening.
 *
 * @param block       the first block in chain order (a judgement, or a fail-closed filter's refusal), or null
 * @param annotations the annotations of every filter of the chain
 */
public record Outcome(Finding block, List<Finding> annotations) {

    public static final Outcome PASS = new Outcome(null, List.of());

    public Outcome {
        annotations = List.copyOf(annotations);
    }

    public boolean blocked() {
        return block != null;
    }
}
