package com.llamagateway.gateway.passthrough;

import com.llamagateway.gateway.api.BodyReader;
import com.llamagateway.gateway.reactive.Timeouts;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A pass-through request whose body streams to the deployment as it arrives, at most {@code maxBytes} of it, all of
 * it within {@code timeout}: a {@code Content-Length} above the bound is refused before anything is sent; a body
 * without one fails with the same 413 at the first chunk past the bound, and a body that has not arrived whole in time
 * with 408 (the deployment's request is then cut off) — BodyReader's answers on the LLM routes.
 */
final class BoundedRequest extends ServerHttpRequestDecorator {

    private final long maxBytes;
    private final Duration timeout;

    BoundedRequest(ServerHttpRequest delegate, long maxBytes, Duration timeout) {
        super(delegate);
        this.maxBytes = maxBytes;
        this.timeout = timeout;
    }

    /** 413 when the request declares a body larger than {@code maxBytes}. */
    static void checkDeclaredLength(ServerHttpRequest request, long maxBytes) {
        if (request.getHeaders().getContentLength() > maxBytes) {
            throw BodyReader.tooLarge(maxBytes);
        }
    }

    @Override
    public Flux<DataBuffer> getBody() {
        return Flux.defer(() -> {
            AtomicLong seen = new AtomicLong();
            Mono<Long> deadline = Mono.delay(timeout).cache(); // the whole body within the timeout, as on the LLM routes
            return Timeouts.eachBefore(super.getBody(), deadline, buffer -> deadline, "no whole body")
                    .onErrorMap(TimeoutException.class, e -> BodyReader.timedOut(timeout))
                    .handle((buffer, sink) -> {
                if (seen.addAndGet(buffer.readableByteCount()) > maxBytes) {
                    DataBufferUtils.release(buffer);
                    sink.error(BodyReader.tooLarge(maxBytes));
                } else {
                    sink.next(buffer);
                }
            });
        });
    }

}
