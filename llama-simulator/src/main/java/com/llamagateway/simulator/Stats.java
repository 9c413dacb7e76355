package com.llamagateway.simulator;

import java.util.concurrent.atomic.AtomicLong;

/** What a simulated deployment has seen; tests read it to check what reached the backend. */
public final class Stats {

    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong streamsStarted = new AtomicLong();
    private final AtomicLong streamsCompleted = new AtomicLong();
    private final AtomicLong streamsCancelled = new AtomicLong();
    private final AtomicLong tokensStreamed = new AtomicLong();
    private volatile String lastRequestBody;
    private volatile java.util.Map<String, String> lastRequestHeaders = java.util.Map.of();

    void request(String body, java.util.Map<String, String> headers) {
        requests.incrementAndGet();
        lastRequestBody = body;
        lastRequestHeaders = headers;
    }

    void streamStarted() {
        streamsStarted.incrementAndGet();
    }

    void streamCompleted() {
        streamsCompleted.incrementAndGet();
    }

    void streamCancelled() {
        streamsCancelled.incrementAndGet();
    }

    void tokenStreamed() {
        tokensStreamed.incrementAndGet();
    }

    public long requests() {
        return requests.get();
    }

    public long streamsStarted() {
        return streamsStarted.get();
    }

    public long streamsCompleted() {
        return streamsCompleted.get();
    }

    public long streamsCancelled() {
        return streamsCancelled.get();
    }

    public long tokensStreamed() {
        return tokensStreamed.get();
    }

    /** The body of the last request that reached this deployment, as received. */
    public String lastRequestBody() {
        return lastRequestBody;
    }

    /** The headers of the last request (lower-case names). */
    public java.util.Map<String, String> lastRequestHeaders() {
        return lastRequestHeaders;
    }

    public void reset() {
        requests.set(0);
        streamsStarted.set(0);
        streamsCompleted.set(0);
        streamsCancelled.set(0);
        tokensStreamed.set(0);
        lastRequestBody = null;
        lastRequestHeaders = java.util.Map.of();
    }
}
