package com.llamagateway.gateway.api;

import com.llamagateway.gateway.pipeline.Answer;
import com.llamagateway.gateway.pipeline.CompletionPipeline;
import com.llamagateway.gateway.pipeline.Inbound;
import com.llamagateway.gateway.protocol.CallerDialect;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.protocol.Operation;
import com.llamagateway.gateway.security.TeamKeyAuthentication;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ReactiveHttpOutputMessage;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.nio.charset.StandardCharsets;

/** The edge of the completion routes: reads the body, runs the pipeline, writes JSON or flushes each event. */
public final class CompletionHandler {

    private static final byte[] EVENT_START = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT_END = "\n\n".getBytes(StandardCharsets.US_ASCII);

    private final BodyReader bodies;
    private final CompletionPipeline pipeline;
    private final ErrorResponses errors;
    private final Json json;

    public CompletionHandler(BodyReader bodies, CompletionPipeline pipeline, ErrorResponses errors, Json json) {
        this.bodies = bodies;
        this.pipeline = pipeline;
        this.errors = errors;
        this.json = json;
    }

    public Mono<ServerResponse> handle(ServerRequest request, CallerDialect caller, Operation operation) {
        String requestId = RequestIdFilter.of(request.exchange());
        return TeamKeyAuthentication.teamOf(request.principal()).flatMap(team -> bodies.read(request)
                        .flatMap(body -> pipeline.handle(new Inbound(requestId, team, caller, operation, body, request.headers().asHttpHeaders()))))
                .flatMap(this::render)
                .onErrorResume(error -> errors.render(caller, error, requestId));
    }

    /**
     * One server-sent event, {@code data: <data>\n\n}, encoded once into a buffer of the response's own allocator —
     * pooled and direct on Reactor Netty, so no String, byte array or heap-to-direct copy on its way to the socket. Room
     * for three bytes a character (UTF-8's most for a Java char): the encoder reserves that much before it writes.
     */
    static DataBuffer event(DataBufferFactory buffers, String data) {
        return buffers.allocateBuffer(EVENT_START.length + 3 * data.length() + EVENT_END.length)
                .write(EVENT_START).write(data, StandardCharsets.UTF_8).write(EVENT_END);
    }

    private Mono<ServerResponse> render(Answer answer) {
        if (answer instanceof Answer.Complete complete) {
            return ServerResponse.ok().headers(h -> complete.headers().forEach(h::set))
                    .contentType(MediaType.APPLICATION_JSON).bodyValue(json.writeBytes(complete.body()));
        }
        Flux<String> events = ((Answer.Stream) answer).events();
        BodyInserter<Flux<String>, ReactiveHttpOutputMessage> flushEach = (message, context) -> message.writeAndFlushWith(
                // each buffer made when it is written: one queued for a client that left would never be released
                events.map(data -> Mono.fromSupplier(() -> event(message.bufferFactory(), data))));
        return ServerResponse.ok()
                .headers(h -> answer.headers().forEach(h::set))
                .contentType(MediaType.TEXT_EVENT_STREAM)
                .header(HttpHeaders.CACHE_CONTROL, "no-cache")
                .header("X-Accel-Buffering", "no")
                .body(flushEach);
    }
}
