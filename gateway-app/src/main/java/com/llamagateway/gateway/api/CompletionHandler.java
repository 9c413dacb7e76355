package com.llamagateway.gateway.api;

import com.llamagateway.gateway.pipeline.Answer;
import com.llamagateway.gateway.pipeline.CompletionPipeline;
import com.llamagateway.gateway.pipeline.Inbound;
import com.llamagateway.gateway.protocol.CallerDialect;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.protocol.Operation;
import com.llamagateway.gateway.reactive.Contexts;
import com.llamagateway.gateway.security.TeamKeyAuthentication;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

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
        return Contexts.heldHere(TeamKeyAuthentication.teamOf(request.exchange()).flatMap(team -> bodies.read(request)
                        .flatMap(body -> pipeline.handle(new Inbound(requestId, team, caller, operation, body, request.headers().asHttpHeaders()))))
                .map(this::render)
                .onErrorResume(error -> errors.render(caller, error, requestId)));
    }

    private ServerResponse render(Answer answer) {
        if (answer instanceof Answer.Complete complete) {
            return DirectResponse.json(complete.headers(), json.writeBytes(complete.body()));
        }
        Answer.Stream stream = (Answer.Stream) answer;
        return DirectResponse.events(stream.headers(), stream.events());
    }
}
