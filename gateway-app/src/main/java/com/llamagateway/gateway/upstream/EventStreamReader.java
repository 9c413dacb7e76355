package com.llamagateway.gateway.upstream;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Reads a {@code text/event-stream} body as it arrives, in pieces cut anywhere, and hands on the {@code data} of each
 * event: an event's {@code data} lines joined by {@code \n}, as the bytes received (UTF-8, decoded by whoever reads
 * them: a character cut between pieces is whole), once the blank line that ends it has arrived (or the body has, with
 * {@link #finish}). Lines end with CRLF, LF or CR (a CRLF cut between two pieces counts once). Comments ({@code :…}) and the other fields
 * ({@code event}, {@code id}, {@code retry}) are skipped; an event without data is not handed on.
 * A line, or an event's data, longer than {@code maxBytes} fails with {@link AnswerTooLarge}, having kept no more than that.
 * One reader per stream, fed from one thread at a time.
 */
final class EventStreamReader {

    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte[] NOTHING = new byte[0];
    private static final byte[] DATA = "data".getBytes(StandardCharsets.US_ASCII);

    private final int maxBytes;
    private final Consumer<byte[]> events;
    /** The line so far (its bytes from earlier pieces). */
    private byte[] line = new byte[256];
    private int lineLength;
    /** The last piece ended with CR: an LF that starts the next one ends no line. */
    private boolean afterCr;
    /** The event's one data line so far (null before it, or once there are more: then {@link #joined}). */
    private byte[] data;
    /** The event's data lines joined by LF, from its second on. */
    private ByteArrayOutputStream joined;

    EventStreamReader(int maxBytes, Consumer<byte[]> events) {
        this.maxBytes = maxBytes;
        this.events = events;
    }

    /**
     * Reads {@code length} bytes of {@code piece} from {@code offset}, handing on every event they complete. Keeps
     * nothing of {@code piece} itself: the caller may reuse it.
     */
    void read(byte[] piece, int offset, int length) {
        int end = offset + length;
        int start = offset;
        int i = offset;
        if (afterCr && i < end) {
            afterCr = false;
            if (piece[i] == LF) {
                start = ++i;
            }
        }
        for (; i < end; i++) {
            byte b = piece[i];
            if (b == LF || b == CR) {
                lineEnded(piece, start, i - start);
                if (b == CR) {
                    if (i + 1 == end) {
                        afterCr = true;
                    } else if (piece[i + 1] == LF) {
                        i++;
                    }
                }
                start = i + 1;
            }
        }
        append(piece, start, end - start);
    }

    /** The body ended: an event it left without its blank line is handed on as well. */
    void finish() {
        if (lineLength > 0) {
            lineEnded(NOTHING, 0, 0);
        }
        dispatch();
    }

    private void lineEnded(byte[] piece, int offset, int length) {
        byte[] bytes = piece;
        int from = offset;
        int count = length;
        if (lineLength > 0) {
            append(piece, offset, length);
            bytes = line;
            from = 0;
            count = lineLength;
            lineLength = 0;
        } else if (length > maxBytes) {
            throw new AnswerTooLarge(maxBytes);
        }
        field(bytes, from, count);
    }

    private void append(byte[] piece, int offset, int length) {
        if (length == 0) {
            return;
        }
        int needed = lineLength + length;
        if (needed > maxBytes) {
            throw new AnswerTooLarge(maxBytes);
        }
        if (needed > line.length) {
            line = Arrays.copyOf(line, Math.min(Math.max(needed, line.length * 2), maxBytes));
        }
        System.arraycopy(piece, offset, line, lineLength, length);
        lineLength = needed;
    }

    private void field(byte[] bytes, int offset, int length) {
        if (length == 0) {
            dispatch();
            return;
        }
        if (length < DATA.length || !Arrays.equals(bytes, offset, offset + DATA.length, DATA, 0, DATA.length)) {
            return; // a comment, another field, or a line that is no field at all
        }
        int value = offset + DATA.length;
        int end = offset + length;
        if (value < end) {
            if (bytes[value] != ':') {
                return; // "datafoo: …" is another field
            }
            value++;
            if (value < end && bytes[value] == ' ') {
                value++;
            }
        }
        if (data == null && joined == null) {
            data = Arrays.copyOfRange(bytes, value, end); // an event of one line (nearly all are) is handed on as read
            return;
        }
        if (joined == null) {
            joined = new ByteArrayOutputStream(data.length * 2);
            joined.writeBytes(data);
            data = null;
        }
        if (joined.size() + 1 + (end - value) > maxBytes) {
            throw new AnswerTooLarge(maxBytes);
        }
        joined.write(LF);
        joined.write(bytes, value, end - value);
    }

    private void dispatch() {
        byte[] event = joined != null ? joined.toByteArray() : data;
        data = null;
        joined = null;
        if (event != null) {
            events.accept(event);
        }
    }
}
