package com.llamagateway.gateway.usage;

import com.llamagateway.gateway.support.PostgresSchema;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactoryOptions;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.ClassPathResource;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ledger's insert, every value of every row read back, on H2 and on a real PostgreSQL. */
class UsageStoreInsertTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    /** What a row reads back as: its values in the table's columns, as text. */
    private record Stored(String requestId, Instant at, long atMillis, String team, String teamName, String key, String model,
                          String deployment, String dialect, String operation, boolean streamed, long prompt, long completion,
                          long estimated, long reserved, String outcome, long latency, Long firstToken) {
    }

    private static UsageRecord row(int batch, int i) {
        Instant at = Instant.parse("2026-12-05T10:00:00Z").plusMillis(1_000L * batch + i);
        return new UsageRecord("req-" + batch + "-" + i, at, "team-" + (i % 3), "team " + (i % 3) + " é", "key-" + i, "Llama-" + i,
                i % 4 == 0 ? null : "d" + i, i % 2 == 0 ? "v1" : "azure-inference", i % 2 == 0 ? "chat" : "text_completion", i % 2 == 1,
                1_000L + i, 2_000L + i, 3_000L + i, 4_000L + i, UsageRecord.Outcome.values()[i % UsageRecord.Outcome.values().length],
                5_000L + i, i % 5 == 0 ? null : 6_000L + i);
    }

    private static Stored expected(UsageRecord row) {
        return new Stored(row.requestId(), row.at(), row.at().toEpochMilli(), row.teamId(), row.teamName(), row.keyId(), row.model(),
                row.deployment() == null ? "" : row.deployment(), row.dialect(), row.operation(), row.streamed(), row.promptTokens(),
                row.completionTokens(), row.estimatedPromptTokens(), row.reservedTokens(), row.outcome().label(), row.latencyMillis(),
                row.firstTokenMillis());
    }

    private static void createTable(DatabaseClient db) throws Exception {
        String migration = new ClassPathResource("db/migration/V3__usage_ledger.sql").getContentAsString(StandardCharsets.UTF_8)
                .replaceAll("(?m)--.*$", "");
        Flux.fromArray(migration.split(";")).filter(sql -> !sql.isBlank()).concatMap(sql -> db.sql(sql).then()).blockLast(WAIT);
    }

    private static List<Stored> stored(DatabaseClient db) {
        return db.sql("select * from usage_ledger order by id").map(r -> new Stored(r.get("request_id", String.class),
                        r.get("occurred_at", java.time.OffsetDateTime.class).toInstant(), r.get("occurred_ms", Long.class),
                        r.get("team_id", String.class), r.get("team_name", String.class), r.get("key_id", String.class),
                        r.get("model", String.class), r.get("deployment", String.class), r.get("dialect", String.class),
                        r.get("operation", String.class), r.get("streamed", Boolean.class), r.get("prompt_tokens", Long.class),
                        r.get("completion_tokens", Long.class), r.get("estimated_prompt_tokens", Long.class),
                        r.get("reserved_tokens", Long.class), r.get("outcome", String.class), r.get("latency_ms", Long.class),
                        r.get("first_token_ms", Long.class)))
                .all().collectList().block(WAIT);
    }

    private static void insertsEveryRowAsItIs(DatabaseClient db) throws Exception {
        createTable(db);
        UsageStore store = new UsageStore(db);
        List<Stored> expected = new ArrayList<>();
        int batch = 0;
        for (int size : new int[]{1, 2, 7, UsageProperties.MAX_BATCH_SIZE, 7}) {
            List<UsageRecord> rows = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                rows.add(row(batch, i));
            }
            store.insert(rows).block(WAIT);
            rows.forEach(row -> expected.add(expected(row)));
            batch++;
        }

        List<Stored> read = stored(db);
        assertThat(read).hasSize(1 + 2 + 7 + UsageProperties.MAX_BATCH_SIZE + 7);
        assertThat(read).containsExactlyElementsOf(expected); // whole milliseconds: the same instants on both databases
        assertThatThrownBy(() -> store.insert(java.util.Collections.nCopies(UsageProperties.MAX_BATCH_SIZE + 1, row(9, 0))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void onH2() throws Exception {
        insertsEveryRowAsItIs(DatabaseClient.create(ConnectionFactories.get("r2dbc:h2:mem:///ledger-" + UUID.randomUUID() + "?options=DB_CLOSE_DELAY=-1")));
    }

    @Test
    @org.junit.jupiter.api.extension.ExtendWith(PostgresSchema.Required.class)
    void onPostgres() throws Exception {
        try (PostgresSchema schema = PostgresSchema.create()) {
            Map<String, String> properties = schema.properties();
            ConnectionFactoryOptions options = ConnectionFactoryOptions.parse(properties.get("spring.r2dbc.url")).mutate()
                    .option(ConnectionFactoryOptions.USER, properties.get("spring.r2dbc.username"))
                    .option(ConnectionFactoryOptions.PASSWORD, properties.get("spring.r2dbc.password")).build();
            insertsEveryRowAsItIs(DatabaseClient.create(ConnectionFactories.get(options)));
        }
    }
}
