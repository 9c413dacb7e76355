package com.llamagateway.gateway.pipeline;

import com.llamagateway.gateway.protocol.CanonicalChunk;
import com.llamagateway.gateway.protocol.Usage;
import com.llamagateway.gateway.tokens.UsageCompletion;

import java.util.List;

/**
 * What a stream has carried so far: its identity (the id and time of its first event, or the gateway's, for every
 * event alike), the model the deployment named, its text (to count when the deployment reports no usage), its usage
 * and its last event.
 */
final class StreamTally {

    private final StringBuilder text = new StringBuilder();
    private final String publicModel;
    private String id;
    private long created;
    private CanonicalChunk last;
    private Usage usage;
    private String reportedModel;

    StreamTally(String fallbackId, long fallbackCreated, String publicModel) {
        this.id = fallbackId;
        this.created = fallbackCreated;
        this.publicModel = publicModel;
    }

    /** Records the event and returns it under the stream's identity and the public model name. */
    synchronized CanonicalChunk add(CanonicalChunk received) {
        if (last == null) {
            reportedModel = received.model();
            id = received.id().isEmpty() ? id : received.id();
            created = received.created() > 0 ? received.created() : created;
        }
        CanonicalChunk chunk = received.identified(id, created, publicModel);
        last = chunk;
        if (chunk.usage() != null) {
            usage = chunk.usage();
        }
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

    /** The model the deployment named in its first event (null or empty: none). */
    synchronized String reportedModel() {
        return reportedModel;
    }

    /** A usage-only chunk counted from the streamed text, or null when the deployment reported usage itself. */
    synchronized CanonicalChunk usageChunkIfMissing(UsageCompletion counting, int promptTokens) {
        if (usage != null || last == null) {
            return null;
        }
        usage = counting.ofStream(promptTokens, text.toString());
        return last.withChoices(List.of()).withUsage(usage);
    }

    /** The usage to settle: as reported, or counted from what was streamed so far (a stream cut short). */
    synchronized Usage usage(UsageCompletion counting, int promptTokens) {
        return usage != null ? usage : counting.ofStream(promptTokens, text.toString());
    }
}
