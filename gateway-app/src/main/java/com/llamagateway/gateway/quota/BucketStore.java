package com.llamagateway.gateway.quota;

import reactor.core.publisher.Mono;

/**
 * Where buckets live: in this process ({@link MemoryBucketStore}) or in Redis, shared by every replica
 * ({@link RedisBucketStore}). Every operation on one bucket is atomic.
 */
public interface BucketStore {

    /** Takes {@code amount} if the bucket holds it; otherwise takes nothing and says how long to wait. */
    Mono<Take> tryTake(BucketSpec bucket, long amount);

    /** What the bucket holds now (negative: in debt) and its size. */
    Mono<Level> level(BucketSpec bucket);

    /**
     * The answer to {@link #tryTake}.
     *
     * @param remaining   what the bucket holds after the attempt
     * @param perMinute   the bucket's size as the store knows it (the newest configuration of every replica)
     * @param nanosToWait when not taken: until the bucket holds {@code amount}; {@link Long#MAX_VALUE} when it never will
     *                    (amount larger than the bucket)
     * @param held        how to give back or add to what was taken; null when nothing was taken
     */
    record Take(boolean taken, long remaining, long perMinute, long nanosToWait, Held held) {

        public boolean neverFits() {
            return !taken && nanosToWait == Long.MAX_VALUE;
        }
    }

    record Level(long available, long perMinute) {
    }

    /** What was taken from one bucket, to settle later (a remote store may fail to; see {@link Reservation}). */
    interface Held {

        /** Returns unused tokens; the bucket never holds more than its size. */
        Mono<Void> giveBack(long amount);

        /** Takes more than was reserved, even into debt: usage that already happened is always counted. */
        Mono<Void> charge(long amount);
    }
}
