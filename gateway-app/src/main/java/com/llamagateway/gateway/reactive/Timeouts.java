package com.llamagateway.gateway.reactive;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Reactor's timeout operators, each with its own {@link TimeoutException} that says what did not come in time.
 * <p>
 * Without a fallback, Reactor names the timed-out sequence for its exception's message at every subscription
 * ({@code Mono.timeout}) or assembly ({@code Flux.timeout}): it walks the operator chain above and builds a step name
 * for each operator — 1.7 % of the CPU a completion costs the gateway in a profile at steady load, for a message
 * nobody reads. Given a fallback that fails, it names nothing; the error is the same type, raised at the same moment,
 * and the source is cancelled as before.
 */
public final class Timeouts {

    private Timeouts() {
    }

    /** {@code source}'s value or completion within {@code limit} of subscribing, else a {@link TimeoutException}. */
    public static <T> Mono<T> within(Mono<T> source, Duration limit, String what) {
        return source.timeout(limit, Mono.error(() -> expired(what, limit)));
    }

    /** Each of {@code source}'s items (and its end) within {@code limit} of the one before, the first of subscribing. */
    public static <T> Flux<T> eachWithin(Flux<T> source, Duration limit, String what) {
        return source.timeout(limit, Flux.error(() -> expired(what, limit)));
    }

    /** The first item before {@code first} emits, each next before the publisher {@code next} gives for the one before. */
    public static <T, U, V> Flux<T> eachBefore(Flux<T> source, Publisher<U> first, Function<? super T, ? extends Publisher<V>> next,
                                               String what) {
        return source.timeout(first, next, Flux.error(() -> new TimeoutException(what)));
    }

    private static TimeoutException expired(String what, Duration limit) {
        return new TimeoutException(what + " within " + limit.toMillis() + " ms");
    }
}
