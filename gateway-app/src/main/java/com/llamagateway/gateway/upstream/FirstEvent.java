package com.llamagateway.gateway.upstream;

import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;

/**
 * A stream seen up to its first event: the {@code Mono} completes when the first event has arrived (or the stream
 * ended without one) and fails when the stream fails before it — so that a deployment that drops a stream before
 * its first event counts as failing before it answered, and the request can go elsewhere. The {@code Flux} it
 * completes with replays that event, then the rest, with the subscriber's demand passed upstream (at most one event
 * is held beyond it) and its cancellation too. Cancelling the {@code Mono} before the first event cancels the stream.
 */
public final class FirstEvent {

    private FirstEvent() {
    }

    public static <T> Mono<Flux<T>> awaited(Flux<T> events) {
        return Mono.create(sink -> events.subscribe(new Watcher<>(sink)));
    }

    private static final class Watcher<T> extends BaseSubscriber<T> {

        /**
         * The {@code Mono}'s sink until the first event (or the end, or a failure), then null: the stream lives on
         * without keeping the chain that awaited it — and everything that chain holds — for as long as it lasts.
         */
        private MonoSink<Flux<T>> sink;
        /** Holds what arrives until the subscriber of the rest takes it; upstream demand is the subscriber's. */
        private final Sinks.Many<T> rest = Sinks.many().unicast().onBackpressureBuffer();

        Watcher(MonoSink<Flux<T>> sink) {
            this.sink = sink;
            sink.onCancel(this::cancel);
        }

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            subscription.request(1);
        }

        /** The sink, once: null from then on. */
        private MonoSink<Flux<T>> takeSink() {
            MonoSink<Flux<T>> awaiting = sink;
            sink = null;
            return awaiting;
        }

        @Override
        protected void hookOnNext(T event) {
            rest.tryEmitNext(event);
            MonoSink<Flux<T>> awaiting = takeSink();
            if (awaiting != null) {
                awaiting.success(rest.asFlux()
                        .doOnRequest(n -> request(n)) // the first event is in hand already: at most one more is held
                        .doOnCancel(this::cancel));
            }
        }

        @Override
        protected void hookOnComplete() {
            rest.tryEmitComplete();
            MonoSink<Flux<T>> awaiting = takeSink();
            if (awaiting != null) {
                awaiting.success(Flux.empty());
            }
        }

        @Override
        protected void hookOnError(Throwable error) {
            MonoSink<Flux<T>> awaiting = takeSink();
            if (awaiting != null) {
                awaiting.error(error);
            } else {
                rest.tryEmitError(error);
            }
        }
    }
}
