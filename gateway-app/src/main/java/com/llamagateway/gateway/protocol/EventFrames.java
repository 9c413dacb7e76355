package com.llamagateway.gateway.protocol;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Server-sent events as a caller receives them: each a frame {@code data: <payload>\n\n} in UTF-8, ready for the
 * wire. The stream encoders write their JSON straight into a frame ({@link Json#writeEvent}).
 */
public final class EventFrames {

    static final byte[] PREFIX = "data: ".getBytes(StandardCharsets.US_ASCII);
    static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);

    /** The stream's end; one shared array (a frame is only ever read). */
    public static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] NONE = new byte[0];

    private EventFrames() {
    }

    /**
     * Frames as one array, byte for byte what they are on the wire one after the other (for one write); an empty
     * array for none. The one frame of a list of one is returned as it is.
     */
    public static byte[] joined(List<byte[]> frames) {
        if (frames.isEmpty()) {
            return NONE;
        }
        if (frames.size() == 1) {
            return frames.get(0);
        }
        int length = 0;
        for (byte[] frame : frames) {
            length += frame.length;
        }
        byte[] joined = new byte[length];
        int at = 0;
        for (byte[] frame : frames) {
            System.arraycopy(frame, 0, joined, at, frame.length);
            at += frame.length;
        }
        return joined;
    }

    /** The payload of a frame made here, as text (for tests and logs). */
    public static String data(byte[] frame) {
        return new String(frame, PREFIX.length, frame.length - PREFIX.length - END.length, StandardCharsets.UTF_8);
    }
}
