package com.llamagateway.gateway.upstream;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** A stream's events up to its {@code [DONE]}, and how long each may take, on a clock the test holds. */
class BeforeDoneTest {

    private static final Duration FIRST_BYTE = Duration.ofSeconds(5);
    private static final Duration IDLE = Duration.ofSeconds(10);
    /** the clock of the virtual time StepVerifier runs the test on */
    private static final LongSupplier VIRTUAL = () -> VirtualTimeScheduler.get().now(TimeUnit.NANOSECONDS);

    /** {@link UpstreamClient#beforeDone} over the events' data as text. */
    private static Flux<String> beforeDone(Flux<String> data, Duration firstByteLeft, Duration streamIdle, LongSupplier nanoClock) {
        return UpstreamClient.beforeDone(data.map(text -> text.getBytes(StandardCharsets.UTF_8)), firstByteLeft, streamIdle, nanoClock)
                .map(bytes -> new String(bytes, StandardCharsets.UTF_8));
    }

    private static Mono<String> after(Duration delay, String data) {
        return Mono.delay(delay).map(tick -> data);
    }

    @Test
    void aBodyThatEndsAfterItsDoneEndsTheStreamThere() {
        AtomicBoolean cancelled = new AtomicBoolean();
        StepVerifier.withVirtualTime(() -> beforeDone(
                        Flux.concat(after(Duration.ofSeconds(1), "a"), after(Duration.ofSeconds(1), "b"), Mono.just("[DONE]"))
                                .doOnCancel(() -> cancelled.set(true)), FIRST_BYTE, IDLE, VIRTUAL))
                .thenAwait(Duration.ofSeconds(1))
                .expectNext("a")
                .thenAwait(Duration.ofSeconds(1))
                .expectNext("b")
                .expectComplete()
                .verify(Duration.ofSeconds(10));
        assertThat(cancelled).as("the body read to its end, not cut off").isFalse();
    }

    @Test
    void aDoneLateInTheStreamIdleTimeoutEndsTheStreamWhenTheBodyStaysOpen() {
        // [DONE] 9.5 s after the event, the body never ends: the stream-idle timeout restarts at [DONE], so the wait of
        // a second for the body's end cuts the body off and the stream ends, instead of failing 10 s after the event
        AtomicBoolean cancelled = new AtomicBoolean();
        StepVerifier.withVirtualTime(() -> beforeDone(
                        Flux.concat(Mono.just("a"), after(Duration.ofMillis(9_500), "[DONE]"), Flux.never())
                                .doOnCancel(() -> cancelled.set(true)), FIRST_BYTE, IDLE, VIRTUAL))
                .expectNext("a")
                .expectNoEvent(Duration.ofMillis(10_499))
                .thenAwait(Duration.ofMillis(1))
                .expectComplete()
                .verify(Duration.ofSeconds(10));
        assertThat(cancelled).as("the body left open is cut off").isTrue();
    }

    @Test
    void aShortStreamIdleTimeoutWaitsHalfOfItForTheBodysEnd() {
        Duration idle = Duration.ofMillis(600);
        StepVerifier.withVirtualTime(() -> beforeDone(
                        Flux.concat(Mono.just("a"), after(Duration.ofMillis(500), "[DONE]"), Flux.never()), FIRST_BYTE, idle, VIRTUAL))
                .expectNext("a")
                .expectNoEvent(Duration.ofMillis(799))
                .thenAwait(Duration.ofMillis(1))
                .expectComplete()
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void whatFollowsDoneIsNoEvent() {
        StepVerifier.withVirtualTime(() -> beforeDone(Flux.just("a", "[DONE]", "b", " [DONE] "), FIRST_BYTE, IDLE, VIRTUAL))
                .expectNext("a")
                .expectComplete()
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void aSilenceLongerThanTheStreamIdleTimeoutFailsTheStreamAndCutsTheBodyOff() {
        AtomicBoolean cancelled = new AtomicBoolean();
        StepVerifier.withVirtualTime(() -> beforeDone(
                        Flux.concat(Mono.just("a"), after(IDLE.plusMillis(1), "b")).doOnCancel(() -> cancelled.set(true)), FIRST_BYTE, IDLE, VIRTUAL))
                .expectNext("a")
                .expectNoEvent(IDLE.minusMillis(1))
                .thenAwait(Duration.ofMillis(1))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(TimeoutException.class)
                        .hasMessage("no event within the first-byte or stream-idle timeout"))
                .verify(Duration.ofSeconds(10));
        assertThat(cancelled).isTrue();
    }

    @Test
    void theFirstEventComesWithinWhatIsLeftOfTheFirstByteTimeout() {
        StepVerifier.withVirtualTime(() -> beforeDone(after(Duration.ofSeconds(2), "a").flux(), Duration.ofSeconds(1), IDLE, VIRTUAL))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(999))
                .thenAwait(Duration.ofMillis(1))
                .expectError(TimeoutException.class)
                .verify(Duration.ofSeconds(10));
        StepVerifier.withVirtualTime(() -> beforeDone(after(Duration.ofMillis(1), "a").flux(), Duration.ofSeconds(-1), IDLE, VIRTUAL))
                .expectSubscription()
                .thenAwait(Duration.ZERO)
                .expectError(TimeoutException.class)
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void aSubscriberThatStopsAskingHoldsTheStreamBackNotTheDeployment() {
        // the next event is there but not asked for during six stream-idle timeouts: the deployment is not late
        AtomicBoolean cancelled = new AtomicBoolean();
        StepVerifier.withVirtualTime(() -> beforeDone(
                        Flux.just("a", "b", "[DONE]").doOnCancel(() -> cancelled.set(true)), FIRST_BYTE, IDLE, VIRTUAL), 1)
                .expectNext("a")
                .expectNoEvent(IDLE.multipliedBy(6))
                .thenRequest(1)
                .expectNext("b")
                .thenRequest(1)
                .expectComplete()
                .verify(Duration.ofSeconds(10));
        assertThat(cancelled).isFalse();
    }

    @Test
    void askedAgainTheDeploymentHasTheStreamIdleTimeoutFromThen() {
        StepVerifier.withVirtualTime(() -> beforeDone(Flux.concat(Mono.just("a"), Flux.never()), FIRST_BYTE, IDLE, VIRTUAL), 1)
                .expectNext("a")
                .expectNoEvent(Duration.ofSeconds(57))
                .thenRequest(1)
                .expectNoEvent(IDLE.minusMillis(1))
                .thenAwait(Duration.ofMillis(1))
                .expectError(TimeoutException.class)
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void aSubscriberThatStillAsksWhileTheDeploymentIsSilentGetsTheTimeout() {
        // two events asked for, one came: the second is late, whatever the subscriber does not ask for beyond it
        StepVerifier.withVirtualTime(() -> beforeDone(Flux.concat(Mono.just("a"), Flux.never()), FIRST_BYTE, IDLE, VIRTUAL), 2)
                .expectNext("a")
                .expectNoEvent(IDLE.minusMillis(1))
                .thenAwait(Duration.ofMillis(1))
                .expectError(TimeoutException.class)
                .verify(Duration.ofSeconds(10));
    }
}
