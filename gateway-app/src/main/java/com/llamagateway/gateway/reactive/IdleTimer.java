package com.llamagateway.gateway.reactive;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A time limit between the items of a long sequence, as {@link Timeouts#eachBefore} sets one, at the cost of reading
 * the clock per item: {@link #restart} moves the limit on; {@link #expiry} waits for the limit as it stood when it
 * was last checked (at most {@code idle}), and checks again. {@code Flux.timeout} schedules a timer and cancels the
 * one before at every item — the stream events' timer was ~2 % of a streaming profile. {@link #within} shows the use.
 * <p>
 * Told of the demand ({@link #requested}, {@link #arrived}), the limit runs only while an item has been asked for and
 * not yet come: a sequence its subscriber has stopped asking for waits on the subscriber, not on its source, and asked
 * again its source has {@code idle} from then. Without it the limit runs regardless.
 */
public final class IdleTimer {

    private final LongSupplier nanoClock;
    private final long idleNanos;
    /** when the limit runs out, on {@code nanoClock} */
    private volatile long due;
    private volatile boolean expired;
    /** items asked for and not yet come, when told of the demand: {@code Long.MAX_VALUE} for unbounded, -1 if not told */
    private final AtomicLong outstanding = new AtomicLong(-1);

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
     * The subscriber asks for {@code n} more items. Asked again after it had stopped asking, the source has
     * {@code idle} from now: the time it was not asked is not its own.
     */
    public void requested(long n) {
        if (outstanding.get() == 0) {
            due = nanoClock.getAsLong() + idleNanos; // before the demand shows: a check never sees demand with the old limit
        }
        outstanding.getAndUpdate(v -> Math.max(0, v) + n < 0 ? Long.MAX_VALUE : Math.max(0, v) + n);
    }

    /** An item has come of those {@link #requested} (whether or not it {@link #restart}s the limit). */
    public void arrived() {
        outstanding.getAndUpdate(v -> v == Long.MAX_VALUE || v <= 0 ? v : v - 1);
    }

    /**
     * Completes once the limit has run out, for {@code takeUntilOther}: that cancels the source and ends the sequence,
     * in turn with its items (an error of {@code takeUntilOther}'s other would not cancel the source), and
     * {@link #failureIfExpired} then tells the end from the source's own.
     */
    public Mono<Void> expiry() {
        return Mono.defer(() -> {
                    // nothing asked for: the source is not late, check again within idle
                    long left = outstanding.get() == 0 ? idleNanos : due - nanoClock.getAsLong(); // a difference: nanoTime may wrap
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
