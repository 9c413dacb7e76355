package com.llamagateway.gateway.safety;

/** A filter's answer: let it through, block it, or let it through with a note. */
public sealed interface Verdict {

    Verdict ALLOW = new Allow();

    static Verdict allow() {
        return ALLOW;
    }

    /**
     * @param category what kind of content (the filter's own vocabulary, e.g. {@code Violence}, {@code S1})
     * @param severity the filter's severity, or null where it has none
     * @param reason   a short explanation for the caller and the log; never the judged text
     */
    static Verdict block(String category, Integer severity, String reason) {
        return new Block(category, severity, reason);
    }

    static Verdict annotate(String category, Integer severity, String reason) {
        return new Annotate(category, severity, reason);
    }

    record Allow() implements Verdict {
    }

    record Block(String category, Integer severity, String reason) implements Verdict {
    }

    record Annotate(String category, Integer severity, String reason) implements Verdict {
    }
}
