package com.llamagateway.gateway.protocol;

/** Token usage of one request, as the backend reported it or as the gateway counted it. */
public record Usage(int promptTokens, int completionTokens, int totalTokens) {

    public static Usage of(int promptTokens, int completionTokens) {
        return new Usage(promptTokens, completionTokens, promptTokens + completionTokens);
    }
}
