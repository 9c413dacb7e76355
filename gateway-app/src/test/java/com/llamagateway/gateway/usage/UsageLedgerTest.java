package com.llamagateway.gateway.usage;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.spi.ConnectionFactories;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.ClassPathResource;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ledger's writer against a real (H2) database: overflow, a refusing database, shutdown, retention. */
class UsageLedgerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private final DatabaseClient db = DatabaseClient.create(ConnectionFactories.get("r2dbc:h2:mem:///ledger-" + UUID.randomUUID() + "?options=DB_CLOSE_DELAY=-1"));
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final UsageStore store = new UsageStore(db);

    private void createTable() throws Exception {
        String migration = new ClassPathResource("db/migration/V3__usage_ledger.sql").getContentAsString(StandardCharsets.UTF_8)
                .replaceAll("(?m)--.*$", "");
        Flux.fromArray(migration.split(";")).filter(sql -> !sql.isBlank()).concatMap(sql -> db.sql(sql).then()).blockLast(WAIT);
    }

    private static UsageRecord row(int i, Instant at) {
        return new UsageRecord("req-" + i, at, "team-1", "team one", "key-1", "M", "d1", "v1", "chat", false, 10 + i, 5, 12, 4096,
                UsageRecord.Outcome.OK, 40, null);
    }

    private UsageLedger ledger(int capacity) {
        return new UsageLedger(store, new UsageProperties(true, capacity, 2, Duration.ofHours(1), Duration.ofDays(400), Duration.ofHours(1), 100),
                Clock.systemUTC(), registry);
    }

    private long total() {
        return store.sums(new UsageQuery(null, null, null, null, null, null, List.of())).map(UsageQuery.Row::requests)
                .reduce(0L, Long::sum).block(WAIT);
    }

    private double meter(String name) {
        return registry.find(name).counter() != null ? registry.find(name).counter().count() : registry.get(name).gauge().value();
    }

    @Test
    void aFullQueueDropsAndCountsARefusingDatabaseKeepsTheRowsForTheNextFlush() throws Exception {
        UsageLedger ledger = ledger(3);
        for (int i = 0; i < 4; i++) {
            ledger.offer(row(i, Instant.now())); // returns at once, full or not
        }
        assertThat(meter("gateway.usage.ledger.dropped")).isEqualTo(1);
        assertThat(meter("gateway.usage.ledger.queued")).isEqualTo(3);

        assertThatThrownBy(() -> ledger.flush().block(WAIT)).as("no table yet").isNotNull();
        assertThat(meter("gateway.usage.ledger.failures")).isEqualTo(1);
        assertThat(meter("gateway.usage.ledger.queued")).as("the refused batch is back").isEqualTo(3);

        createTable();
        assertThat(ledger.flush().block(WAIT)).isEqualTo(3);
        assertThat(meter("gateway.usage.ledger.written")).isEqualTo(3);
        assertThat(meter("gateway.usage.ledger.queued")).isZero();
        assertThat(total()).isEqualTo(3);
    }

    @Test
    void stoppingWritesEverythingQueuedAndRetentionDeletesOldRows() throws Exception {
        createTable();
        UsageLedger ledger = ledger(100);
        ledger.start();
        for (int i = 0; i < 7; i++) {
            ledger.offer(row(i, Instant.now()));
        }
        ledger.offer(row(99, Instant.now().minus(Duration.ofDays(401))));
        assertThat(total()).as("the flush interval is an hour").isZero();

        ledger.stop();

        assertThat(total()).isEqualTo(8);
        assertThat(ledger.deleteExpired().block(WAIT)).isEqualTo(1);
        assertThat(total()).isEqualTo(7);
    }
}
