package com.llamagateway.gateway.api;

import com.llamagateway.gateway.pipeline.Answer;
import com.llamagateway.gateway.pipeline.CompletionPipeline;
import com.llamagateway.gateway.pipeline.Inbound;
import com.llamagateway.gateway.protocol.CallerDialect;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.protocol.Operation;
import com.llamagateway.gateway.reactive.Contexts;
import com.llamagateway.gateway.security.TeamKeyAuthentication;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * The edge of the completion routes: reads the body, runs the pipeline, writes JSON or flushes each event; a failure
 * before the answer begins is written in the caller's dialect.
 */
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

    public Mono<Void> handle(ServerWebExchange exchange, CallerDialect caller, Operation operation) {
        String requestId = RequestIdFilter.of(exchange);
        ServerHttpRequest request = exchange.getRequest();
        return Contexts.heldHere(TeamKeyAuthentication.teamOf(exchange).flatMap(team -> bodies.read(request)
                        .flatMap(body -> pipeline.handle(new Inbound(requestId, team, caller, operation, body, request.getHeaders()))))
                .map(this::response)
                .onErrorResume(error -> Mono.just(errors.response(caller, error, requestId)))
                .flatMap(response -> response.writeTo(exchange.getResponse())));
    }

    private DirectResponse response(Answer answer) {
        if (answer instanceof Answer.Complete complete) {
            return DirectResponse.json(HttpStatus.OK, complete.headers(), json.writeBytes(complete.body()));
        }
        Answer.Stream stream = (Answer.Stream) answer;
        return DirectResponse.events(stream.headers(), stream.events());
    }
}
