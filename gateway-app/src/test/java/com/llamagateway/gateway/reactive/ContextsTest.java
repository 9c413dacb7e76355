package com.llamagateway.gateway.reactive;

import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class ContextsTest {

    /** Operators that read the context at subscription, at each item and in a timer. */
    private static Flux<String> readingTheContext() {
        return Mono.deferContextual(context -> Mono.just(context.<String>get("team")))
                .flatMap(team -> Mono.deferContextual(context -> Mono.just(team + "/" + context.get("key"))))
                .timeout(Duration.ofSeconds(5))
                .flatMapMany(value -> Flux.just(value, value + "!").filter(v -> !v.isEmpty()))
                .concatWith(Mono.deferContextual(context -> Mono.just(context.<String>get("team") + " ends")));
    }

    @Test
    void theContextIsReadOnceAndEveryOperatorAboveSeesIt() {
        Asking subscriber = new Asking();
        Contexts.heldHere(readingTheContext()).subscribe(subscriber);

        assertThat(subscriber.values).containsExactly("red/k-1", "red/k-1!", "red ends");
        assertThat(subscriber.completed).isTrue();
        assertThat(subscriber.asked).hasValue(1);
    }

    @Test
    void withoutItEachOperatorAsksDownTheChain() {
        Asking subscriber = new Asking();
        readingTheContext().subscribe(subscriber);

        assertThat(subscriber.values).containsExactly("red/k-1", "red/k-1!", "red ends");
        assertThat(subscriber.asked.get()).isGreaterThan(3);
    }

    @Test
    void aMonoHeldHereSeesTheContextWrittenBelowIt() {
        Asking subscriber = new Asking();
        Contexts.heldHere(Mono.deferContextual(context -> Mono.just(context.<String>get("team") + "/" + context.get("extra"))))
                .contextWrite(Context.of("extra", "x"))
                .subscribe(subscriber);

        assertThat(subscriber.values).containsExactly("red/x");
        assertThat(subscriber.asked).hasValue(1);
    }

    /** The end of a chain, whose context a {@code contextWrite} further down would hold: counts how often it is asked. */
    private static final class Asking implements CoreSubscriber<String> {
        final AtomicInteger asked = new AtomicInteger();
        final List<String> values = new ArrayList<>();
        volatile boolean completed;

        @Override
        public Context currentContext() {
            asked.incrementAndGet();
            return Context.of("team", "red", "key", "k-1");
        }

        @Override
        public void onSubscribe(Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String value) {
            values.add(value);
        }

        @Override
        public void onError(Throwable t) {
            throw new AssertionError(t);
        }

        @Override
        public void onComplete() {
            completed = true;
        }
    }
}
