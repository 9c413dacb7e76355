package com.llamagateway.gateway.protocol;

/** The wire schemas the gateway speaks. Callers use v1 or azure-inference; deployments any of the three. */
public enum DialectName {
    /** Llama / OpenAI API: {@code /v1/chat/completions}, {@code /v1/completions}. */
    V1,
    /** Azure AI Model Inference API: {@code /chat/completions}, {@code /completions}, {@code /info}. */
    AZURE_INFERENCE,
    /** Azure ML managed online endpoint: {@code /score} with {@code input_data}. */
    SCORE;

    /** The name configuration, the admin API and the usage ledger use: {@code v1}, {@code azure-inference}, {@code score}. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
