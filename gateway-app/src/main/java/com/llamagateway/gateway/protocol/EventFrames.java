package com.llamagateway.gateway.protocol;

import java.nio.charset.StandardCharsets;

/**
 * Server-sent events as a caller receives them: each a frame {@code data: <payload>\n\n} in UTF-8, ready for the
 * wire. The stream encoders write their JSON straight into a frame ({@link Json#writeEvent}).
 */
public final class EventFrames {

    static final byte[] PREFIX = "data: ".getBytes(StandardCharsets.US_ASCII);
    static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);

    /** The stream's end; one shared array (a frame is only ever read). */
    public static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private EventFrames() {
    }

    /** The payload of a frame made here, as text (for tests and logs). */
    public static String data(byte[] frame) {
        return new String(frame, PREFIX.length, frame.length - PREFIX.length - END.length, StandardCharsets.UTF_8);
    }
}
