package com.llamagateway.gateway.usage;

import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * {@code gateway.usage.*}: the usage ledger and the GenAI meters (docs/operations.md).
 *
 * @param queueCapacity   settled requests waiting to be written; beyond it rows are dropped (counted, logged), never
 *                        waited for
 * @param batchSize       rows written in one statement, at most {@link #MAX_BATCH_SIZE}
 * @param flushInterval   how often the waiting rows are written
 * @param retention       rows older than this are deleted
 * @param retentionCheck  how often old rows are looked for
 * @param teamTagLimit    distinct {@code team} tag values on the GenAI meters; teams beyond it share the value
 *                        {@code other} (the ledger always names the team)
 */
public record UsageProperties(@DefaultValue("true") boolean ledger,
                              @DefaultValue("10000") int queueCapacity,
                              @DefaultValue("200") int batchSize,
                              @DefaultValue("1s") Duration flushInterval,
                              @DefaultValue("400d") Duration retention,
                              @DefaultValue("1h") Duration retentionCheck,
                              @DefaultValue("100") int teamTagLimit) {

    /** 18 values a row: 18,000 parameters, well inside PostgreSQL's 65,535 a statement. */
    public static final int MAX_BATCH_SIZE = 1000;

    public UsageProperties {
        if (queueCapacity < 1 || batchSize < 1 || batchSize > MAX_BATCH_SIZE || teamTagLimit < 0) {
            throw new IllegalArgumentException("gateway.usage: queue-capacity must be at least 1, batch-size 1 to 1000, team-tag-limit not negative");
        }
    }
}
