package com.llamagateway.gateway.passthrough;

import com.llamagateway.gateway.api.BodyReader;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import reactor.core.publisher.Flux;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A pass-through request whose body streams to the deployment as it arrives, at most {@code maxBytes} of it: a
 * {@code Content-Length} above that is refused before anything is sent; a body without one fails with the same 413 at
 * the first chunk past the bound (the deployment's request is then cut off).
 */
final class BoundedRequest extends ServerHttpRequestDecorator {

    private final long maxBytes;

    BoundedRequest(ServerHttpRequest delegate, long maxBytes) {
        super(delegate);
        this.maxBytes = maxBytes;
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
            return super.getBody().handle((buffer, sink) -> {
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
