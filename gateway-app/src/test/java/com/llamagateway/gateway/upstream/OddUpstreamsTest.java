package com.llamagateway.gateway.upstream;

import com.llamagateway.gateway.protocol.BackendRequest;
import com.llamagateway.gateway.protocol.CanonicalChunk;
import com.llamagateway.gateway.protocol.CanonicalRequest;
import com.llamagateway.gateway.protocol.DialectName;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.protocol.Operation;
import com.llamagateway.gateway.protocol.V1Codec;
import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.routing.DeploymentKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Deployments that answer what a non-streamed call cannot use, over real HTTP: answers around the size bound, an
 * endless event stream, HTML, an answer that trickles past the deadline; and streams with events the gateway cannot read. The client uses the production bounds
 * (10 MB answers) and a short deadline.
 */
class OddUpstreamsTest {

    private static final int MAX_RESPONSE = 10 * 1024 * 1024;
    private static final Duration DEADLINE = Duration.ofSeconds(3);
    private static DisposableServer server;
    /** Connections the deployment has accepted. */
    private static final AtomicInteger opened = new AtomicInteger();
    private final Json json = new Json(64, 1024 * 1024, MAX_RESPONSE);

    @BeforeAll
    static void deployment() {
        server = HttpServer.create().host("127.0.0.1").port(0).doOnChannelInit((observer, channel, address) -> opened.incrementAndGet()).route(routes -> routes
                .post("/big/{bytes}/v1/chat/completions", (request, response) -> request.receive().then(response
                        .header("Content-Type", "application/json")
                        .sendString(Mono.just(answer(Integer.parseInt(request.param("bytes"))))).then()))
                .post("/sse/v1/chat/completions", (request, response) -> request.receive().then(response
                        .header("Content-Type", "text/event-stream")
                        .sendString(Flux.interval(Duration.ofMillis(50)).map(i -> "data: {\"choices\":[]}\n\n")).then()))
                .post("/events/{first}/{second}/v1/chat/completions", (request, response) -> request.receive().then(response
                        .header("Content-Type", "text/event-stream")
                        .sendString(Flux.just("data: " + EVENTS.get(request.param("first")) + "\n\n",
                                "data: " + EVENTS.get(request.param("second")) + "\n\n", "data: [DONE]\n\n")).then()))
                .post("/done-then-more/v1/chat/completions", (request, response) -> request.receive().then(response
                        .header("Content-Type", "text/event-stream")
                        .sendString(Flux.just("data: " + EVENTS.get("good") + "\n\n", "data: [DONE]\n\n", "data: " + EVENTS.get("good") + "\n\n"))
                        .then()))
                .post("/done-then-open/v1/chat/completions", (request, response) -> request.receive().then(response
                        .header("Content-Type", "text/event-stream")
                        .sendString(Flux.concat(Flux.just("data: " + EVENTS.get("good") + "\n\n", "data: [DONE]\n\n"), Flux.never()))
                        .then()))
                .post("/not-utf8/v1/chat/completions", (request, response) -> request.receive().then(response
                        .header("Content-Type", "application/json")
                        .send(Mono.just(Unpooled.wrappedBuffer(notUtf8Answer()))).then()))
                .post("/busy/{bytes}/v1/chat/completions", (request, response) -> request.receive().then(response.status(429)
                        .header("Content-Type", "application/json").header("retry-after", "6")
                        .sendString(Mono.just("{\"error\":{\"message\":\"busy " + "x".repeat(Integer.parseInt(request.param("bytes")))
                                + "\"}}")).then()))
                .post("/no-type/v1/chat/completions", (request, response) -> request.receive().then(response
                        .header("Content-Type", "{{secret-looking text")
                        .sendString(Mono.just(answer(10))).then()))
                .post("/html/v1/chat/completions", (request, response) -> request.receive().then(response
                        .header("Content-Type", "text/html")
                        .sendString(Mono.just("<html><body>Bad gateway</body></html>")).then()))
                .post("/trickle/v1/chat/completions", (request, response) -> request.receive().then(response
                        .header("Content-Type", "application/json")
                        .send(Flux.concat(Mono.just(bytes("{\"id\":\"x\",\"choices\":[],\"pad\":\"")),
                                Flux.interval(Duration.ofMillis(200)).map(i -> bytes("x")))).then())))
                .bindNow();
    }

    @AfterAll
    static void stop() {
        server.disposeNow();
    }

    /** Stream events by name: one the gateway reads, JSON that is no event, and what is not JSON. */
    private static final Map<String, String> EVENTS = Map.of(
            "good", "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                    + "\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}",
            "array", "[1]",
            "broken", "{\"choices\":[");

    private static ByteBuf bytes(String text) {
        return Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A chat completion whose text has a byte that is no UTF-8 ("café" in Latin-1). */
    private static byte[] notUtf8Answer() {
        byte[] answer = answer(6).replace("llama", "caf?").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < answer.length; i++) {
            answer[i] = answer[i] == '?' ? (byte) 0xE9 : answer[i];
        }
        return answer;
    }

    /** A valid chat completion of about {@code bytes} bytes (its text is padded). */
    private static String answer(int bytes) {
        String text = "llama ".repeat(Math.max(1, bytes / 6));
        return "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"" + text + "\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}";
    }

    /** The test deployment at {@code prefix} of the server. */
    private static Deployment deployment(String prefix) {
        return new Deployment("odd", DeploymentKind.SERVERLESS, URI.create("http://127.0.0.1:" + server.port() + prefix), "secret",
                "m", DialectName.V1, null, "v", Duration.ofSeconds(2), Duration.ofSeconds(2), new Deployment.Capacity(400_000, 1_000));
    }

    private UpstreamClient client() {
        return new UpstreamClient(json, io.micrometer.observation.ObservationRegistry.NOOP, MAX_RESPONSE, DEADLINE);
    }

    /** A pool of one connection: a call waits for it to come back, or opens a new one if it was closed. */
    private UpstreamClient clientOfOneConnection() {
        return new UpstreamClient(json, io.micrometer.observation.ObservationRegistry.NOOP, MAX_RESPONSE, DEADLINE, 1);
    }

    private JsonNode call(String prefix) {
        Deployment deployment = deployment(prefix);
        try (UpstreamClient client = client()) {
            return client.call(deployment, new BackendRequest("/v1/chat/completions", Map.of(), json.object()), "r1")
                    .block(Duration.ofSeconds(20));
        }
    }

    /**
     * A stream as the pipeline takes it — decoded by the v1 codec, held until its first event ({@link FirstEvent}):
     * completes once the stream counts as answered, with the events from the first on.
     */
    private Mono<Flux<CanonicalChunk>> answered(UpstreamClient client, String first, String second) {
        return answered(client, "/events/" + first + "/" + second);
    }

    private Mono<Flux<CanonicalChunk>> answered(UpstreamClient client, String prefix) {
        Deployment deployment = deployment(prefix);
        V1Codec v1 = new V1Codec(json);
        CanonicalRequest request = v1.decodeRequest(Operation.CHAT, json.read(
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}".getBytes(StandardCharsets.UTF_8)),
                new HttpHeaders());
        return client.stream(deployment, new BackendRequest("/v1/chat/completions", Map.of(), json.object()), "r1", data -> v1.decodeChunk(request, data))
                .flatMap(FirstEvent::awaited);
    }

    /** Every chunk of a stream that ends. */
    private List<CanonicalChunk> chunks(UpstreamClient client, String prefix) {
        return answered(client, prefix).flatMapMany(events -> events).collectList().block(Duration.ofSeconds(20));
    }

    @Test
    void aFirstEventThatIsNoEventFailsTheAttemptBeforeItIsAnswered() {
        try (UpstreamClient client = client()) {
            // JSON, but not an event: the deployment's fault, before the stream counts as answered (so it can fail over)
            GatewayError notAnEvent = catchThrowableOfType(GatewayError.class, () -> answered(client, "array", "good").block(Duration.ofSeconds(20)));
            assertThat(notAnEvent.status().value()).isEqualTo(502);
            assertThat(notAnEvent.code()).isEqualTo("upstream_error");
            assertThat(notAnEvent.getMessage()).contains("not a JSON object");
            // not JSON at all: the same, as invalid JSON
            GatewayError broken = catchThrowableOfType(GatewayError.class, () -> answered(client, "broken", "good").block(Duration.ofSeconds(20)));
            assertThat(broken.status().value()).isEqualTo(502);
            assertThat(broken.getMessage()).contains("invalid JSON").doesNotContain("tools.jackson");
        }
    }

    @Test
    void anEventThatIsNoEventAfterTheFirstFailsTheStreamThere() {
        try (UpstreamClient client = client()) {
            Flux<CanonicalChunk> events = answered(client, "good", "array").block(Duration.ofSeconds(20));
            List<CanonicalChunk> seen = new ArrayList<>();
            GatewayError error = catchThrowableOfType(GatewayError.class, () -> events.doOnNext(seen::add).blockLast(Duration.ofSeconds(20)));
            assertThat(seen).hasSize(1);
            assertThat(seen.get(0).choices().get(0).delta().content()).isEqualTo("Hi");
            assertThat(error.status().value()).isEqualTo(502);
            assertThat(error.getMessage()).contains("not a JSON object");
        }
    }

    @Test
    void twoGoodEventsAreTwoChunks() {
        try (UpstreamClient client = client()) {
            List<CanonicalChunk> seen = chunks(client, "/events/good/good");
            assertThat(seen).hasSize(2).allSatisfy(chunk -> assertThat(chunk.id()).isEqualTo("c1"));
        }
    }

    @Test
    void aStreamReadToItsEndLeavesItsConnectionToTheNextCall() {
        try (UpstreamClient client = clientOfOneConnection()) {
            int before = opened.get();
            for (int i = 0; i < 3; i++) {
                assertThat(chunks(client, "/events/good/good")).hasSize(2);
            }
            assertThat(opened.get() - before).as("connections opened for three streams").isEqualTo(1);
        }
    }

    @Test
    void anAnswerReadToItsEndLeavesItsConnectionToTheNextCall() {
        try (UpstreamClient client = clientOfOneConnection()) {
            int before = opened.get();
            Deployment deployment = deployment("/big/100");
            for (int i = 0; i < 3; i++) {
                client.call(deployment, new BackendRequest("/v1/chat/completions", Map.of(), json.object()), "r1").block(Duration.ofSeconds(20));
            }
            assertThat(opened.get() - before).as("connections opened for three calls").isEqualTo(1);
        }
    }

    @Test
    void whatFollowsDoneIsNoEvent() {
        try (UpstreamClient client = client()) {
            assertThat(chunks(client, "/done-then-more")).hasSize(1);
        }
    }

    @Test
    void aBodyLeftOpenAfterDoneEndsTheStreamAllTheSameAndItsConnectionIsClosed() {
        try (UpstreamClient client = clientOfOneConnection()) {
            int before = opened.get();
            // ends (no error, no stream-idle timeout) once the body has not ended a while after [DONE]
            assertThat(chunks(client, "/done-then-open")).hasSize(1);
            // the one connection was closed, not left to the pool in the middle of a body: the next call gets a new one
            assertThat(chunks(client, "/events/good/good")).hasSize(2);
            assertThat(opened.get() - before).isEqualTo(2);
        }
    }

    @Test
    void anAnswerOfOneAndATenthMegabytesPasses() {
        JsonNode answer = call("/big/" + 1_100_000);
        assertThat(answer.get("choices").get(0).get("message").get("content").asString().length()).isGreaterThan(1_050_000);
    }

    @Test
    void anAnswerOverTheBoundIsTooLargeNotInvalid() {
        GatewayError error = catchThrowableOfType(GatewayError.class, () -> call("/big/" + 11 * 1024 * 1024));
        assertThat(error.status().value()).isEqualTo(502);
        assertThat(error.code()).isEqualTo("upstream_response_too_large");
        assertThat(error.getMessage()).contains("larger than").contains(String.valueOf(MAX_RESPONSE)).doesNotContain("invalid JSON");
    }

    @Test
    void aRefusalKeepsItsStatusAndRetryHintWhateverTheSizeOfItsBody() {
        GatewayError small = catchThrowableOfType(GatewayError.class, () -> call("/busy/10"));
        assertThat(small.status().value()).isEqualTo(429);
        assertThat(small.headers()).containsEntry("Retry-After", "6");
        assertThat(small.getMessage()).contains("busy xxxxxxxxxx");
        // a body over the bound is not read: the refusal still counts, without its message
        GatewayError large = catchThrowableOfType(GatewayError.class, () -> call("/busy/" + 11 * 1024 * 1024));
        assertThat(large.status().value()).isEqualTo(429);
        assertThat(large.headers()).containsEntry("Retry-After", "6");
        assertThat(large.getMessage()).contains("no details given");
    }

    @Test
    void anEndlessEventStreamToANonStreamedRequestFailsAtOnce() {
        GatewayError error = catchThrowableOfType(GatewayError.class, () -> call("/sse"));
        assertThat(error.status().value()).isEqualTo(502);
        assertThat(error.code()).isEqualTo("upstream_error");
        // not the deadline's 504: the stream never ends and never pauses, only its content type can have stopped it
        assertThat(error.getMessage()).contains("text/event-stream");
    }

    @Test
    void anAnswerWithBytesThatAreNoUtf8IsReadAsAStreamedEventIs() {
        // each bad byte one U+FFFD, as Java decodes the text of a streamed event: not a failed deployment
        JsonNode answer = call("/not-utf8");
        assertThat(answer.get("choices").get(0).get("message").get("content").asString()).isEqualTo("caf\uFFFD ");
    }

    @Test
    void htmlIsNotAnAnswer() {
        GatewayError error = catchThrowableOfType(GatewayError.class, () -> call("/html"));
        assertThat(error.status().value()).isEqualTo(502);
        assertThat(error.getMessage()).contains("text/html");
    }

    @Test
    void aContentTypeThatIsNoMediaTypeIsNotAnAnswerAndIsNotRepeated() {
        GatewayError error = catchThrowableOfType(GatewayError.class, () -> call("/no-type"));
        assertThat(error.status().value()).isEqualTo(502);
        assertThat(error.code()).isEqualTo("upstream_error");
        assertThat(error.getMessage()).contains("content type").doesNotContain("secret");
    }

    @Test
    void anAnswerThatTricklesPastTheDeadlineIs504() {
        GatewayError error = catchThrowableOfType(GatewayError.class, () -> call("/trickle"));
        assertThat(error.status().value()).isEqualTo(504);
        assertThat(error.code()).isEqualTo("upstream_timeout");
    }
}
