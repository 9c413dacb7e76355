package com.llamagateway.gateway.api;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.Map;

/**
 * An answer of the LLM routes, written straight into the response: its headers are set there once and its body
 * written as it is. Spring's response builder kept the headers in a map of its own, copied them into the response at
 * commit and looked up a message writer for the body — about 2 % of a completion's CPU for the same bytes on the wire
 * ({@code bench/results/2026-12-04-profile-direct-response.md}).
 */
abstract sealed class DirectResponse {

    private final HttpStatus status;
    private final Map<String, String> headers;

    private DirectResponse(HttpStatus status, Map<String, String> headers) {
        this.status = status;
        this.headers = headers;
    }

    /** A JSON answer: the answer's headers, {@code Content-Type: application/json} and the body's length. */
    static DirectResponse json(HttpStatus status, Map<String, String> headers, byte[] body) {
        return new Json(status, headers, body);
    }

    /** A 200 event stream: the answer's headers, then each event's frame, flushed as it comes. */
    static DirectResponse events(Map<String, String> headers, Flux<byte[]> events) {
        return new Events(headers, events);
    }

    final Mono<Void> writeTo(ServerHttpResponse response) {
        response.setStatusCode(status);
        HttpHeaders target = response.getHeaders();
        headers.forEach(target::set);
        writeOwnHeaders(target);
        return writeBody(response);
    }

    abstract void writeOwnHeaders(HttpHeaders target);

    abstract Mono<Void> writeBody(ServerHttpResponse response);

    private static final class Json extends DirectResponse {
        private final byte[] body;

        Json(HttpStatus status, Map<String, String> headers, byte[] body) {
            super(status, headers);
            this.body = body;
        }

        @Override
        void writeOwnHeaders(HttpHeaders target) {
            target.setContentType(MediaType.APPLICATION_JSON);
            target.setContentLength(body.length);
        }

        @Override
        Mono<Void> writeBody(ServerHttpResponse response) {
            return response.writeWith(Mono.just(response.bufferFactory().wrap(body)));
        }
    }

    private static final class Events extends DirectResponse {
        private final Flux<byte[]> events;

        Events(Map<String, String> headers, Flux<byte[]> events) {
            super(HttpStatus.OK, headers);
            this.events = events;
        }

        @Override
        void writeOwnHeaders(HttpHeaders target) {
            target.setContentType(MediaType.TEXT_EVENT_STREAM);
            target.set(HttpHeaders.CACHE_CONTROL, "no-cache");
            target.set("X-Accel-Buffering", "no");
        }

        /**
         * Each frame written as it comes and flushed once the event loop has written what it had at hand: Reactor
         * Netty's {@code send} of a {@code Flux} writes a frame at once and flushes after the writes of the same
         * turn of the loop (events of one read of the deployment's answer leave together, a lone event at once).
         * {@code writeAndFlushWith} flushed each event by itself through a publisher of its own, a concatenation
         * and a boundary marker per event.
         */
        @Override
        Mono<Void> writeBody(ServerHttpResponse response) {
            return response.writeWith(events.map(response.bufferFactory()::wrap));
        }
    }
}
