package com.llamagateway.gateway.usage;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.publisher.Mono;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The usage ledger's writer: settled requests wait in a bounded queue and are written in batches every
 * {@code flush-interval} by a thread of the ledger's own; a request never waits for the database. A full queue drops the row (counted in
 * {@code gateway.usage.ledger.dropped}, logged at most once a minute); a batch the database refuses goes back to the
 * queue for the next flush. On shutdown — after the web server has finished its in-flight requests — everything
 * still queued is written. Rows older than {@code retention} are deleted every {@code retention-check}.
 * Meters: {@code gateway.usage.ledger.written}, {@code .dropped}, {@code .failures}, the gauge {@code .queued}.
 */
public final class UsageLedger implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(UsageLedger.class);
    private static final Duration SHUTDOWN_FLUSH = Duration.ofSeconds(30);
    /** Stops after the web server (graceful shutdown, then stop), before the database's connection pool is closed. */
    private static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final UsageStore store;
    private final BlockingQueue<UsageRecord> queue;
    private final int batchSize;
    private final Duration flushInterval;
    private final Duration retention;
    private final Duration retentionCheck;
    private final Clock clock;
    private final Counter written;
    private final Counter dropped;
    private final Counter failures;
    private final AtomicLong droppedSinceLog = new AtomicLong();
    private volatile long lastDropLog;
    private volatile ScheduledExecutorService writer;

    public UsageLedger(UsageStore store, UsageProperties properties, Clock clock, MeterRegistry registry) {
        this.store = store;
        this.queue = new ArrayBlockingQueue<>(properties.queueCapacity());
        this.batchSize = properties.batchSize();
        this.flushInterval = properties.flushInterval();
        this.retention = properties.retention();
        this.retentionCheck = properties.retentionCheck();
        this.clock = clock;
        this.written = Counter.builder("gateway.usage.ledger.written").description("Usage rows written to the ledger").register(registry);
        this.dropped = Counter.builder("gateway.usage.ledger.dropped").description("Usage rows dropped: the ledger's queue was full")
                .register(registry);
        this.failures = Counter.builder("gateway.usage.ledger.failures").description("Batches the database did not take (tried again)")
                .register(registry);
        Gauge.builder("gateway.usage.ledger.queued", queue, BlockingQueue::size).description("Usage rows waiting to be written")
                .register(registry);
    }

    /** Queues a row; never blocks. */
    void offer(UsageRecord record) {
        if (!queue.offer(record)) {
            dropped.increment();
            long count = droppedSinceLog.incrementAndGet();
            long now = System.currentTimeMillis();
            if (now - lastDropLog > 60_000) {
                lastDropLog = now;
                droppedSinceLog.addAndGet(-count);
                log.warn("The usage ledger's queue is full ({} rows): {} rows dropped since the last warning. The database is too slow "
                        + "or unavailable; raise gateway.usage.queue-capacity or check the database", queue.size(), count);
            }
        }
    }

    /**
     * Writes everything queued now, batch after batch; how many rows. Only the batch being written is out of the
     * queue: when the database refuses it, it goes back and the flush stops.
     */
    public Mono<Long> flush() {
        return Mono.defer(() -> {
            List<UsageRecord> batch = new ArrayList<>(batchSize);
            queue.drainTo(batch, batchSize);
            if (batch.isEmpty()) {
                return Mono.just(0L);
            }
            return store.insert(batch)
                    .onErrorResume(error -> {
                        failures.increment();
                        log.warn("Could not write {} usage rows ({}); they are tried again at the next flush", batch.size(), error.toString());
                        batch.forEach(this::offer);
                        return Mono.error(error);
                    })
                    .then(Mono.defer(() -> {
                        written.increment(batch.size());
                        return flush();
                    }))
                    .map(rest -> rest + batch.size());
        });
    }

    /** Deletes the rows older than the retention; how many. */
    public Mono<Long> deleteExpired() {
        return store.deleteBefore(clock.instant().minus(retention))
                .doOnNext(count -> {
                    if (count > 0) {
                        log.info("Deleted {} usage rows older than {}", count, retention);
                    }
                });
    }

    @Override
    public void start() {
        // one thread of its own, blocking on the database: a flush is never cancelled half-way, and shutdown waits for it
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "usage-ledger");
            thread.setDaemon(true);
            return thread;
        });
        executor.scheduleWithFixedDelay(() -> quietly(this::flush, "write usage rows"), flushInterval.toMillis(), flushInterval.toMillis(),
                TimeUnit.MILLISECONDS);
        executor.scheduleWithFixedDelay(() -> quietly(this::deleteExpired, "delete expired usage rows"), 0, retentionCheck.toMillis(),
                TimeUnit.MILLISECONDS);
        writer = executor;
    }

    private static void quietly(java.util.function.Supplier<Mono<Long>> work, String what) {
        try {
            work.get().block(SHUTDOWN_FLUSH);
        } catch (RuntimeException e) {
            log.debug("Could not {} ({})", what, e.toString()); // flush logs its own failures
        }
    }

    @Override
    public void stop() {
        ScheduledExecutorService executor = writer;
        writer = null;
        if (executor == null) {
            return;
        }
        executor.shutdown(); // a flush under way finishes
        try {
            executor.awaitTermination(SHUTDOWN_FLUSH.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int queued = queue.size();
        try {
            Long count = flush().block(SHUTDOWN_FLUSH);
            if (count != null && count > 0) {
                log.info("Usage ledger: {} queued rows written on shutdown", count);
            }
        } catch (RuntimeException e) {
            log.error("Usage ledger: of {} rows queued at shutdown, {} could not be written ({})", queued, queue.size(), e.toString());
        }
    }

    @Override
    public boolean isRunning() {
        return writer != null;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
