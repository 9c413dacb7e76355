package com.llamagateway.gateway.pipeline;

import com.llamagateway.gateway.protocol.CanonicalChunk;
import com.llamagateway.gateway.protocol.CanonicalRequest;
import com.llamagateway.gateway.tokens.UsageCompletion;

import java.util.List;

/** What a stream has carried so far: its text (to count when the deployment reports no usage) and its last chunk. */
final class StreamTally {

    private final StringBuilder text = new StringBuilder();
    private CanonicalChunk last;
    private boolean usageSeen;

    void add(CanonicalChunk chunk) {
        last = chunk;
        usageSeen |= chunk.usage() != null;
        for (CanonicalChunk.Choice choice : chunk.choices()) {
            if (choice.text() != null) {
                text.append(choice.text());
            }
            if (choice.delta() != null) {
                if (choice.delta().content() != null) {
                    text.append(choice.delta().content());
                }
                choice.delta().toolCalls().forEach(call -> {
                    if (call.name() != null) {
                        text.append(call.name());
                    }
                    if (call.arguments() != null) {
                        text.append(call.arguments());
                    }
                });
            }
        }
    }

    /** A usage-only chunk counted from the streamed text, or null when the deployment reported usage itself. */
    CanonicalChunk usageChunkIfMissing(UsageCompletion usage, CanonicalRequest request) {
        if (usageSeen || last == null) {
            return null;
        }
        return last.withChoices(List.of()).withUsage(usage.ofStream(request, text.toString()));
    }
}
