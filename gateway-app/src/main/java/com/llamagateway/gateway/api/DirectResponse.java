package com.llamagateway.gateway.api;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseCookie;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.util.CollectionUtils;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.Map;

/**
 * A completion's 200, written straight into the exchange's response: its headers are set there once and its body
 * written as it is. Spring's response builder kept the headers in a map of its own, copied them into the response at
 * commit and looked up a message writer for the body — about 2 % of a completion's CPU for the same bytes on the wire
 * ({@code bench/results/2026-12-04-profile-direct-response.md}).
 */
abstract sealed class DirectResponse implements ServerResponse {

    private static final MultiValueMap<String, ResponseCookie> NO_COOKIES = CollectionUtils.unmodifiableMultiValueMap(new LinkedMultiValueMap<>());

    private final Map<String, String> headers;

    private DirectResponse(Map<String, String> headers) {
        this.headers = headers;
    }

    /** A JSON answer: the answer's headers, {@code Content-Type: application/json} and the body's length. */
    static ServerResponse json(Map<String, String> headers, byte[] body) {
        return new Json(headers, body);
    }

    /** An event stream: the answer's headers, then each event's frame, flushed as it comes. */
    static ServerResponse events(Map<String, String> headers, Flux<byte[]> events) {
        return new Events(headers, events);
    }

    @Override
    public final HttpStatusCode statusCode() {
        return HttpStatus.OK;
    }

    /** A copy of what {@link #writeTo} sets (nothing on the completion routes reads it). */
    @Override
    public final HttpHeaders headers() {
        HttpHeaders copy = new HttpHeaders();
        write(copy);
        return HttpHeaders.readOnlyHttpHeaders(copy);
    }

    @Override
    public final MultiValueMap<String, ResponseCookie> cookies() {
        return NO_COOKIES;
    }

    @Override
    public final Mono<Void> writeTo(ServerWebExchange exchange, Context context) {
        ServerHttpResponse response = exchange.getResponse();
        response.setStatusCode(HttpStatus.OK);
        write(response.getHeaders());
        return writeBody(response);
    }

    private void write(HttpHeaders target) {
        headers.forEach(target::set);
        writeOwnHeaders(target);
    }

    abstract void writeOwnHeaders(HttpHeaders target);

    abstract Mono<Void> writeBody(ServerHttpResponse response);

    private static final class Json extends DirectResponse {
        private final byte[] body;

        Json(Map<String, String> headers, byte[] body) {
            super(headers);
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
            super(headers);
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
