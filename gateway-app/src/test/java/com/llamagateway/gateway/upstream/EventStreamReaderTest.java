package com.llamagateway.gateway.upstream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import org.springframework.core.ResolvableType;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ReactiveHttpInputMessage;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.http.codec.ServerSentEventHttpMessageReader;
import reactor.core.publisher.Flux;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link EventStreamReader} hands on each event's data as the event-stream format defines it, however the body is
 * cut into pieces: checked against Spring's own {@link ServerSentEventHttpMessageReader} (what read deployments'
 * streams before) on the seed streams of real deployments and on random streams, and on its own for what Spring's
 * reader does not do (a lone CR ending a line).
 */
class EventStreamReaderTest {

    private static final int MAX = 1 << 16;

    @Example
    void joinsDataLinesSkipsOtherFieldsAndCommentsAndEndsLinesThreeWays() {
        String body = ": keep-alive\r\nevent: message\nid: 7\nretry: 100\ndata: {\"a\":1}\n\n"
                + "data:no space\r\ndata:  two spaces\r\n\r\n"
                + "data: cr\rdata: ended\r\r"
                + "id: only an id\n\n"
                + "datafield: not data\ndata\n\n"
                + "data: last, without its blank line";
        assertThat(read(body, 1)).containsExactly("{\"a\":1}", "no space\n two spaces", "cr\nended", "", "last, without its blank line");
        assertThat(read(body, body.length())).isEqualTo(read(body, 1)).isEqualTo(read(body, 3));
    }

    @Example
    void aCrlfCutBetweenTwoPiecesEndsOneLine() {
        EventStreamReaderHarness reader = new EventStreamReaderHarness(MAX);
        reader.feed("data: a\r");
        reader.feed("\ndata: b\r");
        reader.feed("\n\r");
        reader.feed("\n");
        assertThat(reader.events).containsExactly("a\nb");
    }

    @Example
    void aCharacterCutBetweenPiecesIsWhole() {
        byte[] body = "data: é — 🦙\n\n".getBytes(StandardCharsets.UTF_8);
        for (int cut = 1; cut < body.length; cut++) {
            EventStreamReaderHarness reader = new EventStreamReaderHarness(MAX);
            reader.feed(Arrays.copyOfRange(body, 0, cut));
            reader.feed(Arrays.copyOfRange(body, cut, body.length));
            assertThat(reader.events).as("cut at %d", cut).containsExactly("é — 🦙");
        }
    }

    @Example
    void aLineOrAnEventOverTheBoundFails() {
        String longLine = "data: " + "x".repeat(100) + "\n\n";
        assertThatThrownBy(() -> new EventStreamReaderHarness(64).feed(longLine)).isInstanceOf(AnswerTooLarge.class);
        EventStreamReaderHarness cut = new EventStreamReaderHarness(64);
        assertThatThrownBy(() -> {
            for (int i = 0; i < longLine.length(); i += 5) {
                cut.feed(longLine.substring(i, Math.min(longLine.length(), i + 5)));
            }
        }).isInstanceOf(AnswerTooLarge.class);
        EventStreamReaderHarness manyLines = new EventStreamReaderHarness(64);
        assertThatThrownBy(() -> manyLines.feed("data: 0123456789\n".repeat(10))).isInstanceOf(AnswerTooLarge.class);
        EventStreamReaderHarness atTheBound = new EventStreamReaderHarness(64);
        atTheBound.feed("data: " + "y".repeat(58) + "\n\n");
        assertThat(atTheBound.events).containsExactly("y".repeat(58));
    }

    @Example
    void readsTheSeedStreamsAsSpringDoes() throws IOException {
        for (String name : List.of("azure-chat-stream.sse", "azure-chat-stream-with-annotations.sse", "azure-tool-call-stream.sse",
                "v1-chat-stream-include-usage.sse")) {
            byte[] body;
            try (InputStream in = Objects.requireNonNull(getClass().getResourceAsStream("/golden/seed/" + name))) {
                body = in.readAllBytes();
            }
            List<String> expected = spring(body);
            assertThat(expected).as(name).hasSizeGreaterThan(2);
            for (int piece : new int[]{1, 2, 7, 64, body.length}) {
                assertThat(nonBlank(read(body, piece))).as("%s in pieces of %d", name, piece).isEqualTo(expected);
            }
        }
    }

    @Provide
    Arbitrary<String> streams() {
        Arbitrary<String> text = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.strings().withCharRange(' ', '~')),
                Tuple.of(2, Arbitraries.strings().withChars("é—🦙{}\": ,")),
                Tuple.of(1, Arbitraries.strings().all().filter(s -> s.chars().noneMatch(c -> c == '\r' || c == '\n')
                        && StandardCharsets.UTF_8.newEncoder().canEncode(s)))).map(s -> s.length() > 40 ? s.substring(0, 40) : s);
        Arbitrary<String> eol = Arbitraries.of("\n", "\r\n");
        Arbitrary<String> line = Arbitraries.frequencyOf(
                Tuple.of(8, text.map(t -> "data: " + t)),
                Tuple.of(2, text.map(t -> "data:" + t)),
                Tuple.of(1, text.map(t -> ": " + t)),
                Tuple.of(1, text.map(t -> "event: " + t)),
                Tuple.of(1, text.map(t -> "id: " + t)));
        Arbitrary<String> event = Combinators.combine(line.list().ofMinSize(1).ofMaxSize(4), eol)
                .as((lines, end) -> String.join(end, lines) + end + end);
        return Combinators.combine(event.list().ofMaxSize(8), Arbitraries.of("", "data: [DONE]\n\n", "data: unterminated"))
                .as((events, tail) -> String.join("", events) + tail);
    }

    @Property(tries = 2000)
    void readsAnyStreamCutAnywhereAsSpringDoes(@ForAll("streams") String stream, @ForAll @IntRange(min = 1, max = 50) int seed) {
        byte[] body = stream.getBytes(StandardCharsets.UTF_8);
        assertThat(nonBlank(readCutAtRandom(body, seed))).as(escaped(stream)).isEqualTo(spring(body));
    }

    @Property(tries = 1000)
    void aLoneCrEndsALineWhereverThePiecesAreCut(@ForAll("streams") String stream, @ForAll @IntRange(min = 1, max = 50) int seed) {
        byte[] lf = stream.getBytes(StandardCharsets.UTF_8);
        byte[] cr = stream.replace("\r\n", "\n").replace('\n', '\r').getBytes(StandardCharsets.UTF_8);
        assertThat(readCutAtRandom(cr, seed)).as(escaped(stream)).isEqualTo(read(lf, lf.length));
    }

    private static List<String> read(String body, int piece) {
        return read(body.getBytes(StandardCharsets.UTF_8), piece);
    }

    private static List<String> read(byte[] body, int piece) {
        EventStreamReaderHarness reader = new EventStreamReaderHarness(MAX);
        for (int i = 0; i < body.length; i += piece) {
            reader.feed(Arrays.copyOfRange(body, i, Math.min(body.length, i + piece)));
        }
        reader.finish();
        return reader.events;
    }

    private static List<String> readCutAtRandom(byte[] body, int seed) {
        Random random = new Random(seed);
        EventStreamReaderHarness reader = new EventStreamReaderHarness(MAX);
        int i = 0;
        while (i < body.length) {
            int n = 1 + random.nextInt(Math.min(body.length - i, 1 + random.nextInt(16)));
            // pieces at an offset in a larger array, as a pooled buffer's backing array has them
            byte[] padded = new byte[n + 6];
            System.arraycopy(body, i, padded, 3, n);
            reader.reader.read(padded, 3, n);
            i += n;
        }
        reader.finish();
        return reader.events;
    }

    /** What Spring's reader made of it, as the gateway used it: events whose data is not blank. */
    private static List<String> spring(byte[] body) {
        ReactiveHttpInputMessage message = new ReactiveHttpInputMessage() {
            @Override
            public Flux<DataBuffer> getBody() {
                return Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(body.clone()));
            }

            @Override
            public HttpHeaders getHeaders() {
                HttpHeaders headers = new HttpHeaders();
                headers.setContentType(MediaType.TEXT_EVENT_STREAM);
                return headers;
            }
        };
        List<String> events = new ArrayList<>();
        new ServerSentEventHttpMessageReader().read(ResolvableType.forClassWithGenerics(ServerSentEvent.class, String.class), message, Map.of())
                .cast(ServerSentEvent.class)
                .doOnNext(event -> {
                    if (event.data() != null && !((String) event.data()).isBlank()) {
                        events.add((String) event.data());
                    }
                })
                .blockLast();
        return events;
    }

    private static List<String> nonBlank(List<String> events) {
        return events.stream().filter(data -> !data.isBlank()).toList();
    }

    private static String escaped(String text) {
        return text.replace("\r", "\\r").replace("\n", "\\n");
    }

    /** The reader with the events it handed on. */
    private static final class EventStreamReaderHarness {
        final List<String> events = new ArrayList<>();
        final EventStreamReader reader;

        EventStreamReaderHarness(int max) {
            reader = new EventStreamReader(max, data -> events.add(new String(data, StandardCharsets.UTF_8)));
        }

        void feed(String piece) {
            feed(piece.getBytes(StandardCharsets.UTF_8));
        }

        void feed(byte[] piece) {
            reader.read(piece, 0, piece.length);
        }

        void finish() {
            reader.finish();
        }
    }
}
