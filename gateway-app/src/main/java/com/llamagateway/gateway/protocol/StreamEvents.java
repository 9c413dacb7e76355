package com.llamagateway.gateway.protocol;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stream events of the OpenAI shape (the chunks of both dialects), read and written without a JSON tree: an event's
 * text is read token by token into a {@link CanonicalChunk}, and a chunk is written field by field into an event's
 * frame. Only the values the gateway passes on as received — unnamed fields and {@code logprobs} — become trees.
 * <p>
 * An event of an unusual shape (a value of another type than the API gives it, a field twice, a second document
 * after the first) is read by {@link OpenAiShape#readChunk} from its tree instead, which defines what such an event
 * means; both readers agree on every event the token reader accepts ({@code StreamEventsTest}). Pure functions.
 */
final class StreamEvents {

    private StreamEvents() {
    }

    /**
     * One event's data.
     *
     * @throws tools.jackson.core.JacksonException when it is not JSON or exceeds a bound (the upstream client maps it)
     * @throws GatewayError                        502 when it is JSON but not an event
     */
    static CanonicalChunk read(Json json, Operation operation, String event) {
        CanonicalChunk chunk = readTokens(json.untrustedParser(event), operation);
        return chunk != null ? chunk : OpenAiShape.readChunk(operation, json.readUntrusted(event));
    }

    /**
     * One event's data as received, read as its text is: an event of the usual shape in UTF-8 is parsed as it is,
     * without a string between; anything else — an unusual shape, an error, bytes that are not UTF-8 (each bad sequence
     * one U+FFFD) or that a byte parser would take for another encoding (a byte-order mark first, which it skips; a NUL
     * among the first four bytes, its sign of UTF-16 or UTF-32) — is read from its text, as every event was before, so
     * that it is refused or read the same way (a byte parser also counts some bounds differently: a 102-digit number
     * was refused by it and read as text, found by {@code DecoderFuzzTest}).
     */
    static CanonicalChunk read(Json json, Operation operation, byte[] event) {
        if (Utf8.firstInvalid(event) < 0 && !encodingAmbiguous(event)) {
            try {
                CanonicalChunk chunk = readTokens(json.untrustedParser(event), operation);
                if (chunk != null) {
                    return chunk;
                }
            } catch (JacksonException refused) {
                // read from its text below, which decides how it is refused
            }
        }
        return read(json, operation, new String(event, StandardCharsets.UTF_8));
    }

    /** A byte-order mark first, or a NUL among the first four bytes: what Jackson's byte parsers read an encoding from. */
    private static boolean encodingAmbiguous(byte[] bytes) {
        if (bytes.length >= 3 && bytes[0] == (byte) 0xEF && bytes[1] == (byte) 0xBB && bytes[2] == (byte) 0xBF) {
            return true;
        }
        for (int i = 0; i < Math.min(4, bytes.length); i++) {
            if (bytes[i] == 0) {
                return true;
            }
        }
        return false;
    }

    /** The event read token by token, or null when its shape is unusual (for the tree reader). */
    static CanonicalChunk readTokens(Json json, Operation operation, String event) {
        return readTokens(json.untrustedParser(event), operation);
    }

    private static CanonicalChunk readTokens(JsonParser opened, Operation operation) {
        try (JsonParser parser = opened) {
            CanonicalChunk chunk = chunk(parser, operation);
            return parser.nextToken() == null ? chunk : null;
        } catch (Unusual unusual) {
            return null;
        }
    }

    /**
     * One event, framed for the wire ({@link EventFrames}); its data as {@code OpenAiShape} writes an answer: the
     * stream's id, time and model, every choice with its {@code finish_reason} and {@code logprobs} (null or not),
     * usage when given, then the unnamed fields.
     * Tool-call fragments get the index and id of their call from {@code tracker}; {@code idOnEveryFragment} chooses
     * between OpenAI's form (id on the first fragment only) and the Model Inference form (id on every fragment).
     */
    static byte[] write(Json json, CanonicalChunk chunk, Usage usage, boolean idOnEveryFragment, ToolCallTracker tracker) {
        return json.writeEvent(g -> {
            boolean chat = chunk.operation() == Operation.CHAT;
            g.writeStartObject();
            g.writeStringProperty("id", chunk.id());
            g.writeStringProperty("object", chat ? "chat.completion.chunk" : "text_completion");
            g.writeNumberProperty("created", chunk.created());
            g.writeStringProperty("model", chunk.model());
            g.writeArrayPropertyStart("choices");
            for (CanonicalChunk.Choice choice : chunk.choices()) {
                writeChoice(g, choice, chat, idOnEveryFragment, tracker);
            }
            g.writeEndArray();
            if (usage != null) {
                g.writeObjectPropertyStart("usage");
                g.writeNumberProperty("prompt_tokens", usage.promptTokens());
                g.writeNumberProperty("completion_tokens", usage.completionTokens());
                g.writeNumberProperty("total_tokens", usage.totalTokens());
                g.writeEndObject();
            }
            chunk.extras().forEach((name, value) -> {
                boolean written = switch (name) {
                    case "id", "object", "created", "model", "choices" -> true;
                    case "usage" -> usage != null;
                    default -> false;
                };
                writeUnless(g, written, name, value);
            });
            g.writeEndObject();
        });
    }

    private static void writeChoice(JsonGenerator g, CanonicalChunk.Choice choice, boolean chat, boolean idOnEveryFragment,
                                    ToolCallTracker tracker) {
        g.writeStartObject();
        g.writeNumberProperty("index", choice.index());
        if (chat) {
            g.writeObjectPropertyStart("delta");
            CanonicalChunk.Delta d = choice.delta();
            if (d.role() != null) {
                g.writeStringProperty("role", d.role());
            }
            if (d.content() != null) {
                g.writeStringProperty("content", d.content());
            }
            if (!d.toolCalls().isEmpty()) {
                g.writeArrayPropertyStart("tool_calls");
                for (CanonicalChunk.ToolCallDelta fragment : d.toolCalls()) {
                    ToolCallTracker.Fragment f = tracker.track(choice.index(), fragment);
                    g.writeStartObject();
                    g.writeNumberProperty("index", f.index());
                    if (f.first() || idOnEveryFragment) {
                        g.writeStringProperty("id", f.id());
                    }
                    if (f.first()) {
                        g.writeStringProperty("type", fragment.type() == null ? "function" : fragment.type());
                    }
                    g.writeObjectPropertyStart("function");
                    if (fragment.name() != null) {
                        g.writeStringProperty("name", fragment.name());
                    }
                    g.writeStringProperty("arguments", fragment.arguments() == null ? "" : fragment.arguments());
                    g.writeEndObject();
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            d.extras().forEach((name, value) -> writeUnless(g, switch (name) {
                case "role" -> d.role() != null;
                case "content" -> d.content() != null;
                case "tool_calls" -> !d.toolCalls().isEmpty();
                default -> false;
            }, name, value));
            g.writeEndObject();
        } else {
            g.writeStringProperty("text", choice.text());
        }
        g.writeStringProperty("finish_reason", choice.finishReason());
        g.writeName("logprobs");
        if (choice.logprobs() == null) {
            g.writeNull();
        } else {
            g.writeTree(choice.logprobs());
        }
        choice.extras().forEach((name, value) -> writeUnless(g, switch (name) {
            case "index", "finish_reason", "logprobs" -> true;
            case "delta" -> chat;
            case "text" -> !chat;
            default -> false;
        }, name, value));
        g.writeEndObject();
    }

    /** An unnamed field, unless a field of that name was written already (the named one wins). */
    private static void writeUnless(JsonGenerator g, boolean written, String name, JsonNode value) {
        if (!written) {
            g.writeName(name);
            g.writeTree(value);
        }
    }

    // ---------------------------------------------------------------- the token reader

    /** The event needs the tree reader. Never leaves this class; carries no stack. */
    private static final class Unusual extends RuntimeException {
        private static final Unusual INSTANCE = new Unusual();

        private Unusual() {
            super(null, null, false, false);
        }
    }

    private static CanonicalChunk chunk(JsonParser p, Operation operation) {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw Unusual.INSTANCE;
        }
        String id = "";
        long created = 0;
        String model = "";
        List<CanonicalChunk.Choice> choices = List.of();
        Usage usage = null;
        Map<String, JsonNode> extras = null;
        Fields seen = new Fields();
        for (String name = p.nextName(); name != null; name = p.nextName()) {
            p.nextToken();
            switch (name) {
                case "id" -> {
                    seen.once(0);
                    id = string(p, "");
                }
                case "created" -> {
                    seen.once(1);
                    created = createdTime(p);
                }
                case "model" -> {
                    seen.once(2);
                    model = string(p, "");
                }
                case "choices" -> {
                    seen.once(3);
                    choices = choices(p, operation);
                }
                case "usage" -> {
                    seen.once(4);
                    usage = usage(p);
                }
                default -> extras = extra(extras, name, p, OpenAiShape.ANSWER_FIELDS); // object, system_fingerprint: not read
            }
        }
        return new CanonicalChunk(operation, id, created, model, choices, usage, extras == null ? Map.of() : extras);
    }

    private static List<CanonicalChunk.Choice> choices(JsonParser p, Operation operation) {
        JsonToken token = p.currentToken();
        if (token == JsonToken.START_OBJECT) {
            throw Unusual.INSTANCE;
        }
        if (token != JsonToken.START_ARRAY) {
            return List.of(); // null or a scalar: no choices, as the tree reader iterates it
        }
        List<CanonicalChunk.Choice> choices = new ArrayList<>(1);
        for (int position = 0; p.nextToken() != JsonToken.END_ARRAY; position++) {
            choices.add(choice(p, operation, position));
        }
        return choices;
    }

    private static CanonicalChunk.Choice choice(JsonParser p, Operation operation, int position) {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw Unusual.INSTANCE;
        }
        boolean chat = operation == Operation.CHAT;
        int index = position;
        String finish = null;
        JsonNode logprobs = null;
        CanonicalChunk.Delta delta = null;
        String text = "";
        Map<String, JsonNode> extras = null;
        Fields seen = new Fields();
        for (String name = p.nextName(); name != null; name = p.nextName()) {
            JsonToken token = p.nextToken();
            switch (name) {
                case "index" -> {
                    seen.once(0);
                    index = integer(p, position);
                }
                case "finish_reason" -> {
                    seen.once(1);
                    finish = string(p, null);
                }
                case "logprobs" -> {
                    seen.once(2);
                    logprobs = token == JsonToken.VALUE_NULL ? null : p.readValueAsTree();
                }
                case "delta" -> {
                    seen.once(3);
                    if (!chat || token == JsonToken.VALUE_NULL) {
                        p.skipChildren();
                    } else if (token == JsonToken.START_OBJECT) {
                        delta = delta(p);
                    } else {
                        throw Unusual.INSTANCE;
                    }
                }
                case "text" -> {
                    seen.once(4);
                    if (chat) {
                        p.skipChildren();
                    } else {
                        text = string(p, "");
                    }
                }
                default -> extras = extra(extras, name, p, OpenAiShape.CHOICE_FIELDS); // message: not read
            }
        }
        Map<String, JsonNode> unnamed = extras == null ? Map.of() : extras;
        return chat
                ? new CanonicalChunk.Choice(index, delta == null ? new CanonicalChunk.Delta(null, null, List.of()) : delta, null, finish, logprobs, unnamed)
                : new CanonicalChunk.Choice(index, null, text, finish, logprobs, unnamed);
    }

    private static CanonicalChunk.Delta delta(JsonParser p) {
        String role = null;
        String content = null;
        List<CanonicalChunk.ToolCallDelta> calls = List.of();
        Map<String, JsonNode> extras = null;
        Fields seen = new Fields();
        for (String name = p.nextName(); name != null; name = p.nextName()) {
            JsonToken token = p.nextToken();
            switch (name) {
                case "role" -> {
                    seen.once(0);
                    role = string(p, null);
                }
                case "content" -> {
                    seen.once(1);
                    content = string(p, null);
                }
                case "tool_calls" -> {
                    seen.once(2);
                    if (token == JsonToken.START_OBJECT) {
                        throw Unusual.INSTANCE;
                    }
                    if (token == JsonToken.START_ARRAY) {
                        calls = new ArrayList<>(1);
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            calls.add(toolCall(p));
                        }
                    }
                }
                default -> extras = extra(extras, name, p, OpenAiShape.DELTA_FIELDS);
            }
        }
        return new CanonicalChunk.Delta(role, content, calls, extras == null ? Map.of() : extras);
    }

    private static CanonicalChunk.ToolCallDelta toolCall(JsonParser p) {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw Unusual.INSTANCE;
        }
        Integer index = null;
        String id = null;
        String type = null;
        String name = null;
        String arguments = null;
        Fields seen = new Fields();
        for (String field = p.nextName(); field != null; field = p.nextName()) {
            JsonToken token = p.nextToken();
            switch (field) {
                case "index" -> {
                    seen.once(0);
                    if (token == JsonToken.VALUE_NUMBER_INT) {
                        index = integer(p, 0);
                    } else {
                        p.skipChildren(); // not an integer: no index, as the tree reader has it
                    }
                }
                case "id" -> {
                    seen.once(1);
                    id = string(p, null);
                }
                case "type" -> {
                    seen.once(2);
                    type = string(p, null);
                }
                case "function" -> {
                    seen.once(3);
                    if (token == JsonToken.START_OBJECT) {
                        Fields function = new Fields();
                        for (String part = p.nextName(); part != null; part = p.nextName()) {
                            p.nextToken();
                            switch (part) {
                                case "name" -> {
                                    function.once(0);
                                    name = string(p, null);
                                }
                                case "arguments" -> {
                                    function.once(1);
                                    arguments = string(p, null);
                                }
                                default -> p.skipChildren();
                            }
                        }
                    } else {
                        p.skipChildren();
                    }
                }
                default -> p.skipChildren();
            }
        }
        return new CanonicalChunk.ToolCallDelta(index, id, type, name, arguments);
    }

    private static Usage usage(JsonParser p) {
        JsonToken token = p.currentToken();
        if (token != JsonToken.START_OBJECT) {
            p.skipChildren();
            return null; // the tree reader has no usage for anything but an object
        }
        int prompt = 0;
        int completion = 0;
        Integer total = null;
        Fields seen = new Fields();
        for (String name = p.nextName(); name != null; name = p.nextName()) {
            JsonToken value = p.nextToken();
            switch (name) {
                case "prompt_tokens" -> {
                    seen.once(0);
                    prompt = integer(p, 0);
                }
                case "completion_tokens" -> {
                    seen.once(1);
                    completion = integer(p, 0);
                }
                case "total_tokens" -> {
                    seen.once(2);
                    total = value == JsonToken.VALUE_NULL ? null : integer(p, 0);
                }
                default -> p.skipChildren();
            }
        }
        return new Usage(prompt, completion, total == null ? prompt + completion : total);
    }

    /** A string, or {@code absent} for null; anything else is unusual (the tree reader would turn it into text). */
    private static String string(JsonParser p, String absent) {
        return switch (p.currentToken()) {
            case VALUE_STRING -> p.getString();
            case VALUE_NULL -> absent;
            default -> throw Unusual.INSTANCE;
        };
    }

    /** An int, or {@code absent} for null; a long, a fraction or a numeric string is unusual. */
    private static int integer(JsonParser p, int absent) {
        JsonToken token = p.currentToken();
        if (token == JsonToken.VALUE_NULL) {
            return absent;
        }
        if (token == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT) {
            return p.getIntValue();
        }
        throw Unusual.INSTANCE;
    }

    private static long createdTime(JsonParser p) {
        JsonToken token = p.currentToken();
        if (token == JsonToken.VALUE_NULL) {
            return 0;
        }
        if (token == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
            return p.getLongValue();
        }
        throw Unusual.INSTANCE;
    }

    /**
     * An unnamed field's value, as received (a field the tree reader names — {@code known} — but does not read is
     * skipped); the same name twice is unusual.
     */
    private static Map<String, JsonNode> extra(Map<String, JsonNode> extras, String name, JsonParser p, Set<String> known) {
        if (known.contains(name)) {
            p.skipChildren();
            return extras;
        }
        Map<String, JsonNode> all = extras == null ? new LinkedHashMap<>() : extras;
        if (all.put(name, p.readValueAsTree()) != null) {
            throw Unusual.INSTANCE;
        }
        return all;
    }

    /** The named fields of one object read so far: a second one of a name is unusual (the tree keeps the last). */
    private static final class Fields {
        private int seen;

        void once(int field) {
            int bit = 1 << field;
            if ((seen & bit) != 0) {
                throw Unusual.INSTANCE;
            }
            seen |= bit;
        }
    }
}
