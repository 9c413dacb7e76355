package com.llamagateway.gateway.usage;

import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The ledger's table (R2DBC; the same SQL on H2 and PostgreSQL). */
public final class UsageStore {

    private static final String COLUMNS = "request_id, occurred_at, occurred_ms, team_id, team_name, key_id, model, deployment, dialect, "
            + "operation, streamed, prompt_tokens, completion_tokens, estimated_prompt_tokens, reserved_tokens, outcome, latency_ms, first_token_ms";
    private static final int COLUMN_COUNT = 18;
    private static final long HOUR = 3_600_000L;
    private static final long DAY = 86_400_000L;

    private final DatabaseClient db;

    public UsageStore(DatabaseClient db) {
        this.db = db;
    }

    /**
     * Writes the rows (at most {@link UsageProperties#MAX_BATCH_SIZE}) as one {@code insert} with a row of values each:
     * all or none, one statement for the database to parse and run. Not an R2DBC batch of a one-row insert bound per
     * row: H2 made and ran a command per row (a quarter of the ledger's CPU beside the writing itself), PostgreSQL a
     * round of the extended protocol. Not {@link DatabaseClient}'s named parameters either: each of those binds copies
     * every binding before it, quadratic in the batch's size. {@code $n} placeholders: H2's and PostgreSQL's R2DBC
     * drivers both take them.
     */
    Mono<Void> insert(List<UsageRecord> rows) {
        if (rows.isEmpty()) {
            return Mono.empty();
        }
        if (rows.size() > UsageProperties.MAX_BATCH_SIZE) {
            throw new IllegalArgumentException("at most " + UsageProperties.MAX_BATCH_SIZE + " rows in one insert");
        }
        return db.inConnection(connection -> {
            Statement statement = connection.createStatement(insertOf(rows.size()));
            for (int i = 0; i < rows.size(); i++) {
                bind(statement, i * COLUMN_COUNT, rows.get(i));
            }
            return Flux.from(statement.execute()).flatMap(Result::getRowsUpdated).then();
        });
    }

    /** The insert of {@code rows} rows: made per batch (once a flush), the same text for the same count. */
    private static String insertOf(int rows) {
        StringBuilder sql = new StringBuilder("insert into usage_ledger (").append(COLUMNS).append(") values ");
        for (int row = 0; row < rows; row++) {
            sql.append(row == 0 ? "(" : ", (");
            for (int column = 1; column <= COLUMN_COUNT; column++) {
                sql.append(column == 1 ? "$" : ", $").append(row * COLUMN_COUNT + column);
            }
            sql.append(')');
        }
        return sql.toString();
    }

    private static void bind(Statement statement, int at, UsageRecord row) {
        statement.bind(at, row.requestId()).bind(at + 1, row.at().atOffset(ZoneOffset.UTC)).bind(at + 2, row.at().toEpochMilli())
                .bind(at + 3, row.teamId()).bind(at + 4, row.teamName()).bind(at + 5, row.keyId()).bind(at + 6, row.model())
                .bind(at + 7, row.deployment() == null ? "" : row.deployment()).bind(at + 8, row.dialect()).bind(at + 9, row.operation())
                .bind(at + 10, row.streamed()).bind(at + 11, row.promptTokens()).bind(at + 12, row.completionTokens())
                .bind(at + 13, row.estimatedPromptTokens()).bind(at + 14, row.reservedTokens()).bind(at + 15, row.outcome().label())
                .bind(at + 16, row.latencyMillis());
        if (row.firstTokenMillis() == null) {
            statement.bindNull(at + 17, Long.class);
        } else {
            statement.bind(at + 17, row.firstTokenMillis());
        }
    }

    /** Deletes the rows from before {@code cutoff}; how many. */
    Mono<Long> deleteBefore(Instant cutoff) {
        return db.sql("delete from usage_ledger where occurred_ms < :cutoff").bind("cutoff", cutoff.toEpochMilli())
                .fetch().rowsUpdated();
    }

    public Flux<UsageQuery.Row> sums(UsageQuery query) {
        List<String> groups = new ArrayList<>();
        List<String> selected = new ArrayList<>();
        for (UsageQuery.GroupBy by : query.groupBy()) {
            switch (by) {
                case TEAM -> {
                    groups.add("team_id");
                    selected.add("team_id, max(team_name) as team_name");
                }
                case MODEL -> column("model", groups, selected);
                case DEPLOYMENT -> column("deployment", groups, selected);
                case KEY -> column("key_id", groups, selected);
                case HOUR -> bucket(HOUR, groups, selected);
                case DAY -> bucket(DAY, groups, selected);
            }
        }
        StringBuilder sql = new StringBuilder("select ");
        selected.forEach(s -> sql.append(s).append(", "));
        sql.append("count(*) as requests, sum(prompt_tokens) as prompt_tokens, sum(completion_tokens) as completion_tokens, ")
                .append("sum(estimated_prompt_tokens) as estimated_prompt_tokens, sum(reserved_tokens) as reserved_tokens, ")
                .append(outcomeCount("ok")).append(", ").append(outcomeCount("upstream_error")).append(", ")
                .append(outcomeCount("content_filtered")).append(", ").append(outcomeCount("cancelled")).append(", ")
                .append("sum(latency_ms) as latency_ms from usage_ledger where 1 = 1");
        Map<String, Object> binds = new LinkedHashMap<>();
        if (query.team() != null) {
            sql.append(" and (team_id = :team or team_name = :team)");
            binds.put("team", query.team());
        }
        filter("model", query.model(), sql, binds);
        filter("deployment", query.deployment(), sql, binds);
        filter("key_id", query.key(), sql, binds);
        if (query.from() != null) {
            sql.append(" and occurred_ms >= :from");
            binds.put("from", query.from().toEpochMilli());
        }
        if (query.to() != null) {
            sql.append(" and occurred_ms < :to");
            binds.put("to", query.to().toEpochMilli());
        }
        if (!groups.isEmpty()) {
            sql.append(" group by ").append(String.join(", ", groups)).append(" order by ").append(String.join(", ", groups));
        }
        DatabaseClient.GenericExecuteSpec spec = db.sql(sql.toString());
        for (Map.Entry<String, Object> bind : binds.entrySet()) {
            spec = spec.bind(bind.getKey(), bind.getValue());
        }
        List<UsageQuery.GroupBy> by = query.groupBy();
        return spec.map(row -> row(row, by)).all()
                .filter(row -> row.requests() > 0); // no group: one row of sums, empty when nothing matched
    }

    private static void column(String name, List<String> groups, List<String> selected) {
        groups.add(name);
        selected.add(name);
    }

    private static void bucket(long millis, List<String> groups, List<String> selected) {
        String expression = "(occurred_ms / " + millis + ") * " + millis;
        groups.add(expression);
        selected.add(expression + " as period");
    }

    private static String outcomeCount(String outcome) {
        return "sum(case when outcome = '" + outcome + "' then 1 else 0 end) as " + outcome;
    }

    private static void filter(String column, String value, StringBuilder sql, Map<String, Object> binds) {
        if (value != null) {
            sql.append(" and ").append(column).append(" = :").append(column);
            binds.put(column, value);
        }
    }

    private static UsageQuery.Row row(Readable row, List<UsageQuery.GroupBy> by) {
        boolean team = by.contains(UsageQuery.GroupBy.TEAM);
        boolean period = by.contains(UsageQuery.GroupBy.HOUR) || by.contains(UsageQuery.GroupBy.DAY);
        return new UsageQuery.Row(
                team ? row.get("team_id", String.class) : null,
                team ? row.get("team_name", String.class) : null,
                by.contains(UsageQuery.GroupBy.MODEL) ? row.get("model", String.class) : null,
                by.contains(UsageQuery.GroupBy.DEPLOYMENT) ? row.get("deployment", String.class) : null,
                by.contains(UsageQuery.GroupBy.KEY) ? row.get("key_id", String.class) : null,
                period ? Instant.ofEpochMilli(number(row, "period")) : null,
                number(row, "requests"), number(row, "prompt_tokens"), number(row, "completion_tokens"),
                number(row, "estimated_prompt_tokens"), number(row, "reserved_tokens"), number(row, "ok"), number(row, "upstream_error"),
                number(row, "content_filtered"), number(row, "cancelled"), number(row, "latency_ms"));
    }

    /** A count or sum: its type differs between databases (bigint, numeric), and a sum over no row is null. */
    private static long number(Readable row, String name) {
        Object value = row.get(name);
        return value == null ? 0 : ((Number) value).longValue();
    }
}
