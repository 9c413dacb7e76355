package com.llamagateway.gateway.protocol;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.BufferRecycler;
import tools.jackson.core.util.ByteArrayBuilder;
import tools.jackson.core.util.JsonRecyclerPools;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.cfg.JsonNodeFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * JSON reading and writing with bounds: nesting depth, document and string length. Every body from a client or
 * a backend is parsed here.
 */
public final class Json {

    private final JsonMapper mapper;
    private final JsonMapper upstreamMapper;

    /**
     * @param maxNestingDepth  deeper documents are refused, from clients and from deployments
     * @param maxRequestBytes  bound on a client's document
     * @param maxResponseBytes bound on a deployment's document (a non-streamed answer, one streamed event)
     */
    public Json(int maxNestingDepth, long maxRequestBytes, long maxResponseBytes) {
        // client numbers are read exactly (1e999 stays 1E+999, not Infinity), so what is passed on is what was sent
        // and the parameters the gateway checks can be refused when they are not finite
        // and a key twice in one object is refused: what the gateway screens must be what the deployment reads
        this.mapper = mapper(maxNestingDepth, maxRequestBytes).enable(JsonNodeFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES).build();
        this.upstreamMapper = mapper(maxNestingDepth, maxResponseBytes).build();
    }

    private static JsonMapper.Builder mapper(int maxNestingDepth, long maxDocumentBytes) {
        StreamReadConstraints constraints = StreamReadConstraints.builder()
                .maxNestingDepth(maxNestingDepth)
                .maxDocumentLength(maxDocumentBytes)
                .maxStringLength((int) Math.min(Integer.MAX_VALUE, maxDocumentBytes))
                .maxNumberLength(100)
                .maxNameLength(1024)
                .build();
        // the buffers of a parser or generator are recycled per thread: the gateway parses and writes on a few event
        // loops, where Jackson 3's default (one deque shared by all threads) cost more than the parsing of a small
        // stream event itself
        return JsonMapper.builder(JsonFactory.builder().streamReadConstraints(constraints)
                .recyclerPool(JsonRecyclerPools.threadLocalPool()).build());
    }

    /** For tests and codecs that only build nodes. */
    public static Json lenient() {
        return new Json(256, 64L * 1024 * 1024, 64L * 1024 * 1024);
    }

    /**
     * Parses a client's body.
     *
     * @throws GatewayError 400 {@code invalid_utf8} for bytes that are not strict UTF-8, {@code invalid_json} for
     *                      malformed, over-deep or trailing JSON; the message names the place, never the input or a
     *                      Java type
     */
    public JsonNode read(byte[] body) {
        int invalid = Utf8.firstInvalid(body);
        if (invalid >= 0) {
            throw GatewayError.badRequest(ErrorCode.INVALID_UTF8, null, "The request body is not valid UTF-8 (at byte " + invalid + ").");
        }
        try {
            JsonNode node = mapper.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw GatewayError.badRequest(ErrorCode.INVALID_JSON, null, "The request body holds no JSON document.");
            }
            return node;
        } catch (NumberFormatException | ArithmeticException e) {
            // Jackson reads a number such as 7e888888888 as BigDecimal and refuses it past BigDecimal's limits
            throw GatewayError.badRequest(ErrorCode.INVALID_JSON, null, "The request body holds a number out of range.");
        } catch (StreamConstraintsException e) {
            throw GatewayError.badRequest(ErrorCode.INVALID_JSON, null, "The request body exceeds a JSON limit: " + safe(e.getOriginalMessage()) + ".");
        } catch (StreamReadException e) {
            throw GatewayError.badRequest(ErrorCode.INVALID_JSON, null, "The request body is not valid JSON" + at(e) + ": " + safe(e.getOriginalMessage()) + ".");
        } catch (JacksonException e) {
            throw GatewayError.badRequest(ErrorCode.INVALID_JSON, null, "The request body must be exactly one JSON document" + at(e) + ".");
        }
    }

    private static String at(JacksonException e) {
        return e.getLocation() == null || e.getLocation().getLineNr() < 1 ? ""
                : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
    }

    /** Jackson's own words, unless they name a Java type or feature. */
    private static String safe(String message) {
        if (message == null || message.contains("tools.jackson") || message.contains("java.") || message.contains("Feature")) {
            return "malformed input";
        }
        String firstLine = message.lines().findFirst().orElse("malformed input");
        return firstLine.length() > 200 ? firstLine.substring(0, 200) + "…" : firstLine;
    }

    /** Parses a backend's JSON; the caller maps the failure (a backend's bad JSON is not the client's fault). */
    public JsonNode readUntrusted(String text) {
        return upstreamMapper.readTree(text);
    }

    /**
     * {@link #readUntrusted(String)} of a body as received: UTF-8 is parsed as it is; bytes that are not UTF-8 are
     * read as Java decodes them (each bad sequence one U+FFFD), as the text of a streamed event is.
     */
    public JsonNode readUntrusted(byte[] body) {
        return Utf8.firstInvalid(body) < 0 ? upstreamMapper.readTree(body) : upstreamMapper.readTree(new String(body, StandardCharsets.UTF_8));
    }

    /** A parser over a deployment's JSON, within the same bounds as {@link #readUntrusted}, for readers that need no tree. */
    JsonParser untrustedParser(String text) {
        return upstreamMapper.createParser(text);
    }

    /** {@link #untrustedParser(String)} over UTF-8. */
    JsonParser untrustedParser(byte[] utf8) {
        return upstreamMapper.createParser(utf8);
    }

    public String write(JsonNode node) {
        return mapper.writeValueAsString(node);
    }

    /** {@link #write(JsonNode)} as UTF-8 bytes, for a body: no string between the tree and the wire. */
    public byte[] writeBytes(JsonNode node) {
        return mapper.writeValueAsBytes(node);
    }

    /**
     * One document written by {@code writer}, framed as a server-sent event ({@link EventFrames}): UTF-8 bytes
     * written once, into Jackson's builder of recycled segments as {@code writeValueAsBytes} does, then copied out
     * — no text between the generator and the wire.
     */
    byte[] writeEvent(Consumer<JsonGenerator> writer) {
        BufferRecycler recycler = mapper.tokenStreamFactory()._getBufferRecycler();
        try (ByteArrayBuilder frame = new ByteArrayBuilder(recycler)) {
            frame.write(EventFrames.PREFIX);
            try (JsonGenerator generator = mapper.createGenerator(frame)) {
                writer.accept(generator);
            }
            frame.write(EventFrames.END);
            return frame.getClearAndRelease();
        } finally {
            recycler.releaseToPool();
        }
    }

    /** {@code node} framed as a server-sent event, as {@link #writeEvent(Consumer)} frames a written document. */
    public byte[] writeEvent(JsonNode node) {
        return writeEvent(generator -> generator.writeTree(node));
    }

    public ObjectNode object() {
        return mapper.createObjectNode();
    }

    public ArrayNode array() {
        return mapper.createArrayNode();
    }
}
