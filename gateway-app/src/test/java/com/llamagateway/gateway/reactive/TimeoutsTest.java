package com.llamagateway.gateway.reactive;

import org.junit.jupiter.api.Test;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class TimeoutsTest {

    @Test
    void aMonoThatAnswersInTimePassesItsValue() {
        StepVerifier.withVirtualTime(() -> Timeouts.within(Mono.delay(Duration.ofMillis(90)).map(t -> "answer"), Duration.ofMillis(100), "no answer"))
                .thenAwait(Duration.ofMillis(90))
                .expectNext("answer")
                .expectComplete().verify(Duration.ofSeconds(10));
    }

    @Test
    void aSilentMonoFailsAtItsLimitSayingWhatDidNotCome() {
        AtomicBoolean cancelled = new AtomicBoolean();
        StepVerifier.withVirtualTime(() -> Timeouts.within(Mono.never().doOnCancel(() -> cancelled.set(true)), Duration.ofMillis(100), "no answer"))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(99))
                .thenAwait(Duration.ofMillis(1))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(TimeoutException.class).hasMessage("no answer within 100 ms"))
                .verify(Duration.ofSeconds(10));
        assertThat(cancelled).as("the silent source is cancelled").isTrue();
    }

    @Test
    void eachItemOfAFluxHasItsOwnLimit() {
        StepVerifier.withVirtualTime(() -> Timeouts.eachWithin(
                        Flux.concat(Mono.delay(Duration.ofMillis(80)), Mono.delay(Duration.ofMillis(80)), Mono.never()),
                        Duration.ofMillis(100), "no more"))
                .thenAwait(Duration.ofMillis(80)).expectNext(0L)
                .thenAwait(Duration.ofMillis(80)).expectNext(0L) // 160 ms after subscribing, 80 after the one before
                .thenAwait(Duration.ofMillis(100))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(TimeoutException.class).hasMessage("no more within 100 ms"))
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void theFirstItemAndEachNextHaveTheirOwnPublishers() {
        StepVerifier.withVirtualTime(() -> Timeouts.eachBefore(
                        Flux.concat(Mono.delay(Duration.ofMillis(250)), Mono.delay(Duration.ofMillis(60)), Mono.never()),
                        Mono.delay(Duration.ofMillis(300)), item -> Mono.delay(Duration.ofMillis(50)), "no event"))
                .thenAwait(Duration.ofMillis(250)).expectNext(0L) // within the first's 300 ms
                .thenAwait(Duration.ofMillis(50))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(TimeoutException.class).hasMessage("no event"))
                .verify(Duration.ofSeconds(10));
    }

    /**
     * Reactor's own {@code timeout(Duration)} asks the whole chain above for its name (Attr.NAME) to describe the
     * timeout; these must not (it is what they are for).
     */
    @Test
    void noOperatorIsAskedForItsName() {
        NameCounting source = new NameCounting();
        Mono.from(source).timeout(Duration.ofSeconds(1)).subscribe();
        assertThat(source.asked).as("the probe sees Reactor's own naming").hasPositiveValue();

        source.asked.set(0);
        Timeouts.within(Mono.from(source), Duration.ofSeconds(1), "no answer").subscribe();
        Timeouts.eachWithin(Flux.from(source), Duration.ofSeconds(1), "no more").subscribe();
        Timeouts.eachBefore(Flux.from(source), Mono.delay(Duration.ofSeconds(1)), item -> Mono.never(), "no event").subscribe();
        assertThat(source.asked).hasValue(0);
    }

    /** A source that completes at once and counts how often it is asked its name. */
    private static final class NameCounting extends Mono<Integer> implements Scannable {
        final AtomicInteger asked = new AtomicInteger();

        @Override
        public void subscribe(CoreSubscriber<? super Integer> actual) {
            Mono.<Integer>empty().subscribe(actual);
        }

        @Override
        public Object scanUnsafe(Attr key) {
            if (key == Attr.NAME) {
                asked.incrementAndGet();
            }
            return null;
        }
    }
}
