package com.llamagateway.gateway.reactive;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** On virtual time: each limit where {@code Flux.timeout} would put it. */
class IdleTimerTest {

    private static final LongSupplier VIRTUAL = () -> VirtualTimeScheduler.get().now(TimeUnit.NANOSECONDS);
    private static final Duration FIRST = Duration.ofSeconds(3);
    private static final Duration IDLE = Duration.ofSeconds(10);

    private static <T> Flux<T> timed(Flux<T> source) {
        return IdleTimer.within(source, FIRST, IDLE, VIRTUAL, "nothing in time");
    }

    /** {@code count} items {@code apart} from each other, the first at once; then silence. */
    private static Flux<Long> items(int count, Duration apart) {
        return Flux.concat(Flux.interval(Duration.ZERO, apart).take(count), Flux.never());
    }

    @Test
    void itemsWithinTheirLimitsPassAndTheEndPasses() {
        StepVerifier.withVirtualTime(() -> timed(Flux.interval(Duration.ZERO, Duration.ofMillis(9_999)).take(5)))
                .thenAwait(Duration.ofMillis(9_999 * 4))
                .expectNext(0L, 1L, 2L, 3L, 4L)
                .expectComplete()
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void theLimitRunsFromTheLastItemHoweverManyCameBefore() {
        AtomicBoolean cancelled = new AtomicBoolean();
        // the item at 36 s is the last: the limit runs out at 46 s, not before, however the checks fell in between
        StepVerifier.withVirtualTime(() -> timed(items(5, Duration.ofSeconds(9)).doOnCancel(() -> cancelled.set(true))))
                .thenAwait(Duration.ofSeconds(36))
                .expectNextCount(5)
                .expectNoEvent(Duration.ofMillis(9_999))
                .thenAwait(Duration.ofMillis(1))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(TimeoutException.class).hasMessage("nothing in time"))
                .verify(Duration.ofSeconds(10));
        assertThat(cancelled).as("the silent source is cancelled").isTrue();
    }

    @Test
    void theFirstItemHasItsOwnLimit() {
        StepVerifier.withVirtualTime(() -> timed(Mono.delay(Duration.ofSeconds(4)).flux()))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(2_999))
                .thenAwait(Duration.ofMillis(1))
                .expectError(TimeoutException.class)
                .verify(Duration.ofSeconds(10));
        StepVerifier.withVirtualTime(() -> timed(Flux.concat(Mono.delay(Duration.ofMillis(2_999)), Flux.never())))
                .thenAwait(Duration.ofMillis(2_999))
                .expectNext(0L)
                .expectNoEvent(Duration.ofMillis(9_999))
                .thenAwait(Duration.ofMillis(1))
                .expectError(TimeoutException.class)
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void aFirstLimitLongerThanTheIdleOneGivesWayToItAtTheFirstItem() {
        // 30 s for the first item, 1 s for each next: the item at 0.5 s leaves 1 s, not what was left of the 30
        StepVerifier.withVirtualTime(() -> IdleTimer.within(items(1, Duration.ofMillis(500)).delaySubscription(Duration.ofMillis(500)),
                        Duration.ofSeconds(30), Duration.ofSeconds(1), VIRTUAL, "nothing in time"))
                .thenAwait(Duration.ofMillis(500))
                .expectNext(0L)
                .expectNoEvent(Duration.ofMillis(999))
                .thenAwait(Duration.ofMillis(1))
                .expectErrorMessage("nothing in time")
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void aFirstLimitAlreadyPastFailsAtOnce() {
        StepVerifier.withVirtualTime(() -> IdleTimer.within(Flux.never(), Duration.ofSeconds(-1), IDLE, VIRTUAL, "late already"))
                .expectSubscription()
                .expectErrorMessage("late already")
                .verify(Duration.ofSeconds(10));
    }
}
