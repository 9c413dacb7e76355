package com.llamagateway.gateway.quota;

import com.llamagateway.gateway.protocol.CanonicalRequest;
import com.llamagateway.gateway.tokens.LlamaTokenCounter;
import tools.jackson.databind.JsonNode;

/**
 * What a request may cost, reserved at admission: one request, and its estimated prompt tokens plus the most
 * output it may produce ({@code max_tokens}, or the configured default cap, for each of {@code n} or
 * {@code best_of} choices, whichever is larger).
 */
public record Demand(long promptTokens, long outputTokens, boolean requestOnly) {

    /** A request whose tokens are not known before it is answered: it reserves none (see {@link Admission#admitRequest}). */
    public static final Demand REQUEST_ONLY = new Demand(0, 0, true);

    public Demand(long promptTokens, long outputTokens) {
        this(promptTokens, outputTokens, false);
    }

    public static Demand of(CanonicalRequest request, LlamaTokenCounter counter, int defaultMaxTokens) {
        long perChoice = request.maxTokens() != null ? Math.max(0, request.maxTokens()) : defaultMaxTokens;
        long choices = Math.max(1, Math.max(request.n() != null ? request.n() : 1, intParameter(request, "best_of")));
        return new Demand(counter.prompt(request), perChoice * choices);
    }

    private static int intParameter(CanonicalRequest request, String name) {
        JsonNode value = request.parameters().get(name);
        return value != null && value.isIntegralNumber() ? value.asInt() : 1;
    }

    /** Never zero, but for a request-only demand: a request that may produce tokens reserves at least one. */
    public long tokens() {
        return requestOnly ? 0 : Math.max(1, promptTokens + outputTokens);
    }

    public long amount(Unit unit) {
        return unit == Unit.TOKENS ? tokens() : 1;
    }
}
