package com.llamagateway.gateway.protocol;

import java.util.List;

/**
 * Turns canonical chunks into a caller dialect's stream events, each framed for the wire ({@link EventFrames}).
 * Stateful: one per stream. Dialects differ in where usage goes (an extra chunk, or the last chunk) and in how
 * tool-call fragments are identified.
 */
public interface StreamEncoder {

    /** The events to send for this chunk, possibly none (held back until the next one or the end). */
    List<byte[]> encode(CanonicalChunk chunk);

    /** The events still owed when the upstream stream has ended; the {@code [DONE]} marker is not among them. */
    List<byte[]> finish();
}
