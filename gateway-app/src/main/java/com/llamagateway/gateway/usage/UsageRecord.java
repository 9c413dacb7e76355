package com.llamagateway.gateway.usage;

import java.time.Instant;

/**
 * One settled request, as the ledger keeps it.
 *
 * @param deployment             the deployment that served it (the last one tried when none did)
 * @param dialect                the caller's: v1 | azure-inference
 * @param operation              chat | text_completion
 * @param promptTokens           as the deployment reported them (the gateway's count where it reported none)
 * @param estimatedPromptTokens  admission's estimate of the prompt
 * @param reservedTokens         what admission reserved: the prompt's estimate and the output allowed
 * @param latencyMillis          from the request's admission to its answer (a stream: to its end)
 * @param firstTokenMillis       a stream: to its first event reaching the client; null when not streamed
 */
public record UsageRecord(String requestId, Instant at, String teamId, String teamName, String keyId, String model, String deployment,
                          String dialect, String operation, boolean streamed, long promptTokens, long completionTokens,
                          long estimatedPromptTokens, long reservedTokens, Outcome outcome, long latencyMillis, Long firstTokenMillis) {

    public long totalTokens() {
        return promptTokens + completionTokens;
    }

    /** How a settled request ended. */
    public enum Outcome {
        OK("ok"), UPSTREAM_ERROR("upstream_error"), CONTENT_FILTERED("content_filtered"), CANCELLED("cancelled");

        private final String label;

        Outcome(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public static Outcome of(String label) {
            for (Outcome outcome : values()) {
                if (outcome.label.equals(label)) {
                    return outcome;
                }
            }
            throw new IllegalArgumentException(label);
        }
    }
}
