package com.llamagateway.gateway.pipeline;

import com.llamagateway.gateway.protocol.CanonicalChunk;
import com.llamagateway.gateway.protocol.CanonicalRequest;
import com.llamagateway.gateway.tokens.UsageCompletion;

import java.util.List;

/**
 * What a stream has carried so far: its identity (the id and time of its first event, or the gateway's, for every
 * event alike), its text (to count when the deployment reports no usage) and its last event.
 */
final class StreamTally {

    private final StringBuilder text = new StringBuilder();
    private final String publicModel;
    private String id;
    private long created;
    private CanonicalChunk last;
    private boolean usageSeen;

    StreamTally(String fallbackId, long fallbackCreated, String publicModel) {
        this.id = fallbackId;
        this.created = fallbackCreated;
        this.publicModel = publicModel;
    }

    /** Records the event and returns it under the stream's identity and the public model name. */
    CanonicalChunk add(CanonicalChunk received) {
        if (last == null) {
            id = received.id().isEmpty() ? id : received.id();
            created = received.created() > 0 ? received.created() : created;
        }
        CanonicalChunk chunk = received.identified(id, created, publicModel);
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
        return chunk;
    }

    /** A usage-only chunk counted from the streamed text, or null when the deployment reported usage itself. */
    CanonicalChunk usageChunkIfMissing(UsageCompletion usage, CanonicalRequest request) {
        if (usageSeen || last == null) {
            return null;
        }
        return last.withChoices(List.of()).withUsage(usage.ofStream(request, text.toString()));
    }
}
