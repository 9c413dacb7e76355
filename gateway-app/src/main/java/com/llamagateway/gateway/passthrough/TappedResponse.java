package com.llamagateway.gateway.passthrough;

import com.llamagateway.gateway.reactive.Timeouts;
import org.reactivestreams.Publisher;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;

/**
 * The client's response as Spring Cloud Gateway writes the deployment's answer into it: each chunk goes on as it
 * arrives (an event stream through {@link #writeAndFlushWith}, flushed chunk by chunk; anything else through
 * {@link #writeWith}), seen on its way by the {@link PassThroughCall} — its status and type when the body starts,
 * its bytes, the client leaving (the server stops taking the body: its connection has gone) — and cut off when the
 * deployment leaves a gap longer than {@code idle} between two chunks (the time to the headers is the route's
 * {@code response-timeout}).
 */
final class TappedResponse extends ServerHttpResponseDecorator {

    private final PassThroughCall call;
    private final Duration idle;

    TappedResponse(ServerHttpResponse delegate, PassThroughCall call, Duration idle) {
        super(delegate);
        this.call = call;
        this.idle = idle;
    }

    @Override
    public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
        call.answering(getStatusCode(), getHeaders());
        return super.writeWith(Timeouts.eachWithin(Flux.from(body), idle, "no more of the answer").doOnNext(call::chunk).doOnCancel(call::clientLeft));
    }

    @Override
    public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
        call.answering(getStatusCode(), getHeaders());
        return super.writeAndFlushWith(Timeouts.eachWithin(Flux.from(body), idle, "no more of the answer").map(chunks -> Flux.from(chunks).doOnNext(call::chunk))
                .doOnCancel(call::clientLeft));
    }
}
