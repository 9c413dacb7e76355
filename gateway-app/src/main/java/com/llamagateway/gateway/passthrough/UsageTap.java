package com.llamagateway.gateway.passthrough;

import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.protocol.Usage;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads the token usage of a pass-through answer from a copy of its bytes as they go by, never holding the answer
 * back and never keeping more than {@code limit} bytes:
 * <ul>
 *   <li>a JSON answer ({@code application/json}, {@code …+json}): the whole body, when it is at most {@code limit}
 *       bytes — its top-level {@code usage};</li>
 *   <li>an event stream ({@code text/event-stream}): each event's data, when it is at most {@code limit} bytes — the
 *       {@code usage} of the last event that carries one (the final chunk of an OpenAI-shaped stream);</li>
 *   <li>anything else, a larger body or event, or no {@code usage}: none (the request alone is counted).</li>
 * </ul>
 * {@code usage} is read as the Llama, OpenAI and Azure AI Model Inference APIs write it: {@code prompt_tokens},
 * {@code completion_tokens}, {@code total_tokens}. Not thread-safe: one answer's bytes arrive in order.
 */
final class UsageTap {

    private enum Kind { JSON, EVENTS, NONE }

    private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);

    private final Json json;
    private final Kind kind;
    private final int limit;
    /** JSON: the body so far; events: the current event's data */
    private final ByteArrayOutputStream copy = new ByteArrayOutputStream();
    /** events: the current line */
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private boolean overflowed;
    private boolean lineOverflowed;
    private boolean eventHasData;
    private Usage lastEventUsage;

    private UsageTap(Json json, Kind kind, int limit) {
        this.json = json;
        this.kind = kind;
        this.limit = limit;
    }

    /** A tap for an answer of this content type ({@code Content-Type}, or null). */
    static UsageTap of(String contentType, Json json, int limit) {
        String type = contentType == null ? "" : contentType.toLowerCase(java.util.Locale.ROOT);
        int semicolon = type.indexOf(';');
        String mediaType = (semicolon < 0 ? type : type.substring(0, semicolon)).trim();
        Kind kind = mediaType.equals("application/json") || mediaType.endsWith("+json") ? Kind.JSON
                : mediaType.equals("text/event-stream") ? Kind.EVENTS : Kind.NONE;
        return new UsageTap(json, kind, limit);
    }

    /** Whether the next bytes are still read: not for an answer of another type, nor past a JSON answer's limit. */
    boolean reading() {
        return kind == Kind.EVENTS || kind == Kind.JSON && !overflowed;
    }

    /** The next bytes of the answer. */
    void accept(byte[] bytes, int offset, int length) {
        switch (kind) {
            case JSON -> {
                if (overflowed) {
                    return;
                }
                if (copy.size() + length > limit) {
                    overflowed = true;
                    copy.reset();
                    return;
                }
                copy.write(bytes, offset, length);
            }
            case EVENTS -> {
                for (int i = offset; i < offset + length; i++) {
                    byte b = bytes[i];
                    if (b == '\n') {
                        endOfLine();
                    } else if (!lineOverflowed) {
                        if (line.size() >= limit) {
                            lineOverflowed = true;
                            line.reset();
                        } else {
                            line.write(b);
                        }
                    }
                }
            }
            case NONE -> {
            }
        }
    }

    /** The usage the answer reported, once it has ended; null when it reported none that could be read. */
    Usage usage() {
        return switch (kind) {
            case JSON -> overflowed || copy.size() == 0 ? null : usageOf(copy.toString(StandardCharsets.UTF_8));
            case EVENTS -> lastEventUsage;
            case NONE -> null;
        };
    }

    private void endOfLine() {
        byte[] text = line.toByteArray();
        int length = text.length > 0 && text[text.length - 1] == '\r' ? text.length - 1 : text.length;
        boolean overflow = lineOverflowed;
        line.reset();
        lineOverflowed = false;
        if (length == 0 && !overflow) { // a blank line ends the event
            endOfEvent();
            return;
        }
        if (overflow) {
            overflowed = true; // this event is too large to read
            return;
        }
        if (!startsWith(text, length, DATA)) {
            return; // event:, id:, retry: or a comment
        }
        int from = DATA.length < length && text[DATA.length] == ' ' ? DATA.length + 1 : DATA.length;
        if (eventHasData) {
            copy.write('\n');
        }
        eventHasData = true;
        if (copy.size() + length - from > limit) {
            overflowed = true;
        } else if (!overflowed) {
            copy.write(text, from, length - from);
        }
    }

    private void endOfEvent() {
        if (eventHasData && !overflowed) {
            String data = copy.toString(StandardCharsets.UTF_8);
            if (data.contains("\"usage\"")) {
                Usage usage = usageOf(data);
                if (usage != null) {
                    lastEventUsage = usage;
                }
            }
        }
        copy.reset();
        overflowed = false;
        eventHasData = false;
    }

    private Usage usageOf(String document) {
        JsonNode usage;
        try {
            usage = json.readUntrusted(document).path("usage");
        } catch (JacksonException | IllegalArgumentException e) {
            return null; // not JSON, or not within the gateway's JSON limits: nothing to read
        }
        if (!usage.isObject()) {
            return null;
        }
        long prompt = count(usage.get("prompt_tokens"));
        long completion = count(usage.get("completion_tokens"));
        long total = count(usage.get("total_tokens"));
        if (prompt < 0 && completion < 0 && total < 0) {
            return null;
        }
        long p = Math.max(0, prompt);
        long c = Math.max(0, completion);
        long t = total >= 0 ? Math.max(total, p + c) : p + c; // an embeddings answer has no completion_tokens
        return new Usage(clamp(p), clamp(c), clamp(t));
    }

    /** A count the deployment reported: a non-negative integer, else -1. */
    private static long count(JsonNode value) {
        return value != null && value.isIntegralNumber() && value.canConvertToLong() && value.asLong() >= 0 ? value.asLong() : -1;
    }

    private static int clamp(long value) {
        return (int) Math.min(Integer.MAX_VALUE, value);
    }

    private static boolean startsWith(byte[] text, int length, byte[] prefix) {
        if (length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (text[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
