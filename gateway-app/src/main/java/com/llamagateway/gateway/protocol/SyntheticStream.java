package com.llamagateway.gateway.protocol;

import java.util.ArrayList;
import java.util.List;

/** A complete answer told as a stream, for callers that asked to stream from a deployment that cannot. */
public final class SyntheticStream {

    private SyntheticStream() {
    }

    /** Chat: a role chunk, a content (or tool-call) chunk and a finishing chunk per choice; usage on the last. */
    public static List<CanonicalChunk> of(CanonicalResponse response) {
        List<CanonicalChunk> chunks = new ArrayList<>();
        boolean chat = response.operation() == Operation.CHAT;
        for (CanonicalResponse.Choice choice : response.choices()) {
            if (chat) {
                chunks.add(chunk(response, new CanonicalChunk.Choice(choice.index(), new CanonicalChunk.Delta("assistant", "", null), null, null, null)));
                List<CanonicalChunk.ToolCallDelta> calls = new ArrayList<>();
                for (int i = 0; i < choice.message().toolCalls().size(); i++) {
                    ChatMessage.ToolCall call = choice.message().toolCalls().get(i);
                    calls.add(new CanonicalChunk.ToolCallDelta(i, call.id(), call.type(), call.name(), call.arguments()));
                }
                String content = choice.message().content() == null ? null : choice.message().text();
                chunks.add(chunk(response, new CanonicalChunk.Choice(choice.index(), new CanonicalChunk.Delta(null, content, calls), null, null, null)));
                chunks.add(chunk(response, new CanonicalChunk.Choice(choice.index(), new CanonicalChunk.Delta(null, null, null), null,
                        choice.finishReason(), null)));
            } else {
                chunks.add(chunk(response, new CanonicalChunk.Choice(choice.index(), null, choice.text(), null, choice.logprobs())));
                chunks.add(chunk(response, new CanonicalChunk.Choice(choice.index(), null, "", choice.finishReason(), null)));
            }
        }
        if (response.usage() != null && !chunks.isEmpty()) {
            chunks.set(chunks.size() - 1, chunks.get(chunks.size() - 1).withUsage(response.usage()));
        }
        return chunks;
    }

    private static CanonicalChunk chunk(CanonicalResponse response, CanonicalChunk.Choice choice) {
        return new CanonicalChunk(response.operation(), response.id(), response.created(), response.model(), List.of(choice), null);
    }
}
