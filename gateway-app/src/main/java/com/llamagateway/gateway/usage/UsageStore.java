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
    /** {@code $n} placeholders: H2's and PostgreSQL's R2DBC drivers both take them. */
    private static final String INSERT = "insert into usage_ledger (" + COLUMNS + ") values ("
            + java.util.stream.IntStream.rangeClosed(1, 18).mapToObj(i -> "$" + i).collect(java.util.stream.Collectors.joining(", ")) + ")";
    private static final long HOUR = 3_600_000L;
    private static final long DAY = 86_400_000L;

    private final DatabaseClient db;

    public UsageStore(DatabaseClient db) {
        this.db = db;
    }

    /**
     * Writes the rows in one transaction, as one prepared statement bound once per row (an R2DBC batch). Not a
     * multi-row {@code VALUES} list through {@link DatabaseClient}'s named parameters: each of those binds copies
     * every binding before it, quadratic in the batch's size.
     */
    Mono<Void> insert(List<UsageRecord> rows) {
        if (rows.isEmpty()) {
            return Mono.empty();
        }
        return db.inConnection(connection -> {
            Statement statement = connection.createStatement(INSERT);
            for (int i = 0; i < rows.size(); i++) {
                if (i > 0) {
                    statement.add();
                }
                bind(statement, rows.get(i));
            }
            return Mono.from(connection.beginTransaction())
                    .thenMany(Flux.from(statement.execute()).flatMap(Result::getRowsUpdated))
                    .then(Mono.from(connection.commitTransaction()))
                    .onErrorResume(error -> Mono.from(connection.rollbackTransaction()).onErrorResume(e -> Mono.empty()).then(Mono.error(error)));
        });
    }

    private static void bind(Statement statement, UsageRecord row) {
        statement.bind(0, row.requestId()).bind(1, row.at().atOffset(ZoneOffset.UTC)).bind(2, row.at().toEpochMilli())
                .bind(3, row.teamId()).bind(4, row.teamName()).bind(5, row.keyId()).bind(6, row.model())
                .bind(7, row.deployment() == null ? "" : row.deployment()).bind(8, row.dialect()).bind(9, row.operation())
                .bind(10, row.streamed()).bind(11, row.promptTokens()).bind(12, row.completionTokens())
                .bind(13, row.estimatedPromptTokens()).bind(14, row.reservedTokens()).bind(15, row.outcome().label())
                .bind(16, row.latencyMillis());
        if (row.firstTokenMillis() == null) {
            statement.bindNull(17, Long.class);
        } else {
            statement.bind(17, row.firstTokenMillis());
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
