package com.llamagateway.gateway.safety;

/**
 * A block or an annotation as the chain reports it: which filter said it.
 *
 * @param filter   the filter's name in the configuration
 * @param category the filter's category, or {@code filter_unavailable} for a fail-closed failure
 * @param severity the filter's severity, or null
 * @param reason   a short explanation; never the judged text
 */
public record Finding(String filter, String category, Integer severity, String reason) {

    public static final String UNAVAILABLE = "filter_unavailable";

    /** Whether this is a refusal because the filter could not answer (fail-closed), not a judgement. */
    public boolean unavailable() {
        return UNAVAILABLE.equals(category);
    }

    /** {@code filter:category}, as in the {@code x-content-safety} header and the logs. */
    public String label() {
        return filter + ":" + category;
    }
}
