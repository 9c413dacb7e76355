package com.llamagateway.gateway.api;

import com.llamagateway.gateway.pipeline.Answer;
import com.llamagateway.gateway.pipeline.CompletionPipeline;
import com.llamagateway.gateway.pipeline.Inbound;
import com.llamagateway.gateway.protocol.CallerDialect;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.protocol.Operation;
import com.llamagateway.gateway.security.TeamKeyAuthentication;
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

    private Mono<ServerResponse> render(Answer answer) {
        if (answer instanceof Answer.Complete complete) {
            return ServerResponse.ok().headers(h -> complete.headers().forEach(h::set))
                    .contentType(MediaType.APPLICATION_JSON).bodyValue(json.writeBytes(complete.body()));
        }
        Flux<String> events = ((Answer.Stream) answer).events();
        BodyInserter<Flux<String>, ReactiveHttpOutputMessage> flushEach = (message, context) -> message.writeAndFlushWith(
                events.map(data -> Mono.just(message.bufferFactory().wrap(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8)))));
        return ServerResponse.ok()
                .headers(h -> answer.headers().forEach(h::set))
                .contentType(MediaType.TEXT_EVENT_STREAM)
                .header(HttpHeaders.CACHE_CONTROL, "no-cache")
                .header("X-Accel-Buffering", "no")
                .body(flushEach);
    }
}
