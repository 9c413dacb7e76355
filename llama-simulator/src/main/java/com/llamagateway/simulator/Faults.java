package com.llamagateway.simulator;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/** A queue of faults, each applied to one request in arrival order. Thread-safe. */
public final class Faults {

    private final Deque<Fault> pending = new ArrayDeque<>();

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

    public synchronized void clear() {
        pending.clear();
    }

    synchronized Optional<Fault> next() {
        return Optional.ofNullable(pending.pollFirst());
    }
}
