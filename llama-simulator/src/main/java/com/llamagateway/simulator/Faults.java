package com.llamagateway.simulator;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/** A queue of faults, each applied to one request in arrival order. Thread-safe. */
public final class Faults {

    private final Deque<Fault> pending = new ArrayDeque<>();
    /** A fault every request meets with a probability, once the queue is empty; null: none. */
    private Fault shared;
    private double share;
    private java.util.Random random;

    public synchronized Faults add(Fault fault, int times) {
        for (int i = 0; i < times; i++) {
            pending.addLast(fault);
        }
        return this;
    }

    public Faults failNext(int status, int times) {
        return add(new Fault.Status(status, "Simulated failure with status " + status), times);
    }

    /** Fails with this status, asking the caller to wait {@code retryAfter} ({@code retry-after}, {@code retry-after-ms}). */
    public Faults failNext(int status, Duration retryAfter, int times) {
        return add(new Fault.Status(status, "Simulated failure with status " + status, retryAfter), times);
    }

    public Faults hangNext(int times) {
        return add(new Fault.Hang(), times);
    }

    public Faults delayNext(Duration delay, int times) {
        return add(new Fault.Delay(delay), times);
    }

    public Faults dropNextStreamAfter(int tokens, int times) {
        return add(new Fault.DropMidStream(tokens), times);
    }

    /**
     * From now on (until {@link #clear}) each request fails with {@code status} with probability {@code share}, drawn
     * from a random sequence of {@code seed} (the same seed, the same failures); queued faults come first.
     */
    public synchronized Faults failShare(int status, double share, long seed) {
        this.shared = new Fault.Status(status, "Simulated failure with status " + status);
        this.share = share;
        this.random = new java.util.Random(seed);
        return this;
    }

    public synchronized void clear() {
        pending.clear();
        shared = null;
    }

    synchronized Optional<Fault> next() {
        Fault queued = pending.pollFirst();
        if (queued != null) {
            return Optional.of(queued);
        }
        return shared != null && random.nextDouble() < share ? Optional.of(shared) : Optional.empty();
    }
}
