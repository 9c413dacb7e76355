package com.llamagateway.gateway.reactive;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * A time limit between the items of a long sequence, as {@link Timeouts#eachBefore} sets one, at the cost of reading
 * the clock per item: {@link #restart} moves the limit on; {@link #expiry} waits for the limit as it stood when it
 * was last checked (at most {@code idle}), and checks again. {@code Flux.timeout} schedules a timer and cancels the
 * one before at every item — the stream events' timer was ~2 % of a streaming profile. {@link #within} shows the use.
 */
public final class IdleTimer {

    private final LongSupplier nanoClock;
    private final long idleNanos;
    /** when the limit runs out, on {@code nanoClock} */
    private volatile long due;
    private volatile boolean expired;

    /**
     * The first item within {@code first} of now, each next within {@code idle} of the one before; {@code nanoClock}
     * as {@link System#nanoTime} (the waits are on Reactor's parallel scheduler, which a test may make virtual).
     */
    public IdleTimer(Duration first, Duration idle, LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.idleNanos = idle.toNanos();
        this.due = nanoClock.getAsLong() + Math.max(0, first.toNanos());
    }

    /**
     * {@code source}'s items, the first within {@code first} of subscribing, each next within {@code idle} of the one
     * before, else a {@link TimeoutException} saying {@code what} (and {@code source} cancelled).
     */
    public static <T> Flux<T> within(Flux<T> source, Duration first, Duration idle, LongSupplier nanoClock, String what) {
        return Flux.defer(() -> {
            IdleTimer timer = new IdleTimer(first, idle, nanoClock);
            return source.doOnNext(item -> timer.restart()).takeUntilOther(timer.expiry()).concatWith(timer.failureIfExpired(what));
        });
    }

    /** An item has come: the next has {@code idle} from now. */
    public void restart() {
        due = nanoClock.getAsLong() + idleNanos;
    }

    /**
     * Completes once the limit has run out, for {@code takeUntilOther}: that cancels the source and ends the sequence,
     * in turn with its items (an error of {@code takeUntilOther}'s other would not cancel the source), and
     * {@link #failureIfExpired} then tells the end from the source's own.
     */
    public Mono<Void> expiry() {
        return Mono.defer(() -> {
                    long left = due - nanoClock.getAsLong(); // a difference: nanoTime may wrap
                    if (left > 0) {
                        // no longer than idle: an item while waiting for the first may move the limit earlier
                        return Mono.delay(Duration.ofNanos(Math.min(left, idleNanos))).then(Mono.<Boolean>empty()); // then check again
                    }
                    expired = true;
                    return Mono.just(true);
                })
                .repeatWhenEmpty(checks -> checks)
                .then();
    }

    /** After the sequence: a {@link TimeoutException} saying {@code what} if it ended because the limit ran out. */
    public <T> Mono<T> failureIfExpired(String what) {
        return Mono.defer(() -> expired ? Mono.error(new TimeoutException(what)) : Mono.empty());
    }
}
