package com.llamagateway.gateway.upstream;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

class FirstEventTest {

    @Test
    void completesOnTheFirstEventAndReplaysItBeforeTheRest() {
        Sinks.Many<String> source = Sinks.many().unicast().onBackpressureBuffer();
        Mono<Flux<String>> awaited = FirstEvent.awaited(source.asFlux()).cache();
        AtomicBoolean done = new AtomicBoolean();
        awaited.subscribe(rest -> done.set(true));
        assertThat(done).as("not before the first event").isFalse();
        source.tryEmitNext("a");
        assertThat(done).isTrue();
        Flux<String> rest = awaited.block(Duration.ofSeconds(5));
        source.tryEmitNext("b");
        source.tryEmitComplete();
        StepVerifier.create(rest).expectNext("a", "b").expectComplete().verify(Duration.ofSeconds(5));
    }

    @Test
    void aFailureBeforeTheFirstEventFailsTheMono() {
        StepVerifier.create(FirstEvent.awaited(Flux.<String>error(new IllegalStateException("dropped"))))
                .expectErrorMessage("dropped").verify(Duration.ofSeconds(5));
        Flux<String> rest = FirstEvent.awaited(Flux.just("a").concatWith(Flux.error(new IllegalStateException("later"))))
                .block(Duration.ofSeconds(5));
        StepVerifier.create(rest).expectNext("a").expectErrorMessage("later").verify(Duration.ofSeconds(5));
    }

    @Test
    void aStreamWithoutEventsCompletesWithAnEmptyRest() {
        StepVerifier.create(FirstEvent.awaited(Flux.<String>empty()).block(Duration.ofSeconds(5))).expectComplete().verify(Duration.ofSeconds(5));
    }

    @Test
    void demandIsTheSubscribersWithAtMostOneEventHeldBeyondIt() {
        List<Long> requested = new CopyOnWriteArrayList<>();
        Flux<Integer> source = Flux.range(1, 1_000).doOnRequest(requested::add);
        Flux<Integer> rest = FirstEvent.awaited(source).block(Duration.ofSeconds(5));
        assertThat(requested).containsExactly(1L);
        StepVerifier.create(rest, 3).expectNext(1, 2, 3).thenCancel().verify(Duration.ofSeconds(5));
        assertThat(requested.stream().mapToLong(Long::longValue).sum()).as("asked of the deployment").isLessThanOrEqualTo(4);
    }

    @Test
    void cancellingBeforeTheFirstEventOrAfterCancelsTheStream() {
        AtomicBoolean cancelled = new AtomicBoolean();
        FirstEvent.awaited(Flux.<String>never().doOnCancel(() -> cancelled.set(true))).subscribe().dispose();
        assertThat(cancelled).as("before the first event").isTrue();

        AtomicBoolean cancelledLater = new AtomicBoolean();
        Flux<String> rest = FirstEvent.awaited(Flux.just("a").concatWith(Flux.never()).doOnCancel(() -> cancelledLater.set(true)))
                .block(Duration.ofSeconds(5));
        rest.take(1).blockLast(Duration.ofSeconds(5));
        assertThat(cancelledLater).as("by the subscriber of the rest").isTrue();
    }
}
