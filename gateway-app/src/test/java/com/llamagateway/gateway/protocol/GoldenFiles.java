package com.llamagateway.gateway.protocol;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Golden files under {@code src/test/resources/golden}: {@code seed/} holds examples taken from the seed documents
 * and the research notes, {@code expected/} what the codecs make of them, reviewed by hand. Run the tests with
 * {@code -Dgolden.update=true} to rewrite {@code expected/} after a deliberate change, then review the diff.
 */
final class GoldenFiles {

    private static final JsonMapper MAPPER = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    private static final boolean UPDATE = Boolean.getBoolean("golden.update");
    private static final Path EXPECTED_SOURCE = Path.of("src/test/resources/golden/expected");

    private GoldenFiles() {
    }

    static JsonNode seed(String name) {
        return MAPPER.readTree(read("golden/seed/" + name));
    }

    /** The {@code data:} payloads of an SSE file, up to {@code [DONE]}. */
    static List<JsonNode> seedEvents(String name) {
        return seedEventData(name).stream().map(MAPPER::readTree).toList();
    }

    /** The {@code data:} payloads of an SSE file as text, up to {@code [DONE]}. */
    static List<String> seedEventData(String name) {
        List<String> events = new ArrayList<>();
        for (String line : read("golden/seed/" + name).split("\n")) {
            if (line.startsWith("data:")) {
                String data = line.substring(5).trim();
                if (data.equals("[DONE]")) {
                    break;
                }
                events.add(data);
            }
        }
        return events;
    }

    /**
     * Events as a caller receives them: the expected file byte for byte, as the frames and the closing
     * {@code data: [DONE]} make it (the events are written without a tree, so their text, field order included,
     * is what is compared, and so is the framing).
     */
    static void assertEventFramesMatch(String expectedName, List<byte[]> frames) {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        frames.forEach(wire::writeBytes);
        wire.writeBytes(EventFrames.DONE);
        String actual = wire.toString(StandardCharsets.UTF_8);
        if (UPDATE) {
            write(expectedName, actual);
            return;
        }
        assertThat(actual).as(expectedName).isEqualTo(read("golden/expected/" + expectedName));
    }

    /** Nodes as they read back from their JSON text (so that, e.g., an int and a long of the same value compare equal). */
    static List<JsonNode> normalized(List<? extends JsonNode> nodes) {
        List<JsonNode> result = new ArrayList<>();
        nodes.forEach(n -> result.add(MAPPER.readTree(MAPPER.writeValueAsString(n))));
        return result;
    }

    static void assertMatches(String expectedName, JsonNode actual) {
        if (UPDATE) {
            write(expectedName, MAPPER.writeValueAsString(actual) + "\n");
            return;
        }
        assertThat(MAPPER.readTree(MAPPER.writeValueAsString(actual))).as(expectedName)
                .isEqualTo(MAPPER.readTree(read("golden/expected/" + expectedName)));
    }

    private static String read(String resource) {
        try (InputStream in = GoldenFiles.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing golden file " + resource + " (run with -Dgolden.update=true to create it)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(String name, String text) {
        try {
            Files.createDirectories(EXPECTED_SOURCE);
            Files.writeString(EXPECTED_SOURCE.resolve(name), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
