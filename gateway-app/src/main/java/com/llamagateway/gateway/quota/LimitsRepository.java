package com.llamagateway.gateway.quota;

import io.r2dbc.spi.Readable;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** The limits set through the admin API (tables {@code deployment_limits} and {@code team_quotas}). */
public final class LimitsRepository {

    private final DatabaseClient db;

    public LimitsRepository(DatabaseClient db) {
        this.db = db;
    }

    /** A stored row: {@code subject} is a deployment's name or a team's id; {@code model} is null for a deployment. */
    public record Row(String subject, String model, ScopeLimits limits) {
    }

    Flux<Row> deploymentLimits() {
        return db.sql("select * from deployment_limits").map(row -> new Row(row.get("deployment", String.class), null, limits(row))).all();
    }

    Flux<Row> teamQuotas() {
        return db.sql("select * from team_quotas").map(row -> new Row(row.get("team_id", String.class), row.get("model", String.class),
                limits(row))).all();
    }

    /** Where a scope's limits are stored: its table, the columns that name the scope, and how they are matched. */
    private record Table(String name, String keyColumns, String keyValues, String where) {

        static final Table DEPLOYMENT = new Table("deployment_limits", "deployment", ":name", "deployment = :name");
        static final Table TEAM = new Table("team_quotas", "team_id, model", ":name, :model", "team_id = :name and model = :model");

        static Table of(Scope scope) {
            return scope.kind() == Scope.Kind.DEPLOYMENT ? DEPLOYMENT : TEAM;
        }
    }

    /** {@code :name} (deployment or team id) and, for a team, {@code :model}. */
    private DatabaseClient.GenericExecuteSpec sql(String sql, Scope scope) {
        DatabaseClient.GenericExecuteSpec spec = db.sql(sql).bind("name", scope.name());
        return scope.model() != null ? spec.bind("model", scope.model()) : spec;
    }

    /** The version of the scope's stored limits, if any. */
    Mono<Long> version(Scope scope) {
        Table table = Table.of(scope);
        return sql("select version from " + table.name() + " where " + table.where(), scope)
                .map(row -> row.get("version", Long.class)).one();
    }

    /** Replaces the scope's row (within the caller's transaction). */
    Mono<Void> save(Scope scope, ScopeLimits limits, Instant at) {
        Table table = Table.of(scope);
        return sql("delete from " + table.name() + " where " + table.where(), scope).then()
                .then(sql("insert into " + table.name() + " (" + table.keyColumns() + ", tokens_per_minute, requests_per_minute, version, updated_at) "
                        + "values (" + table.keyValues() + ", :tokens, :requests, :version, :at)", scope)
                        .bind("tokens", nullable(limits.tokensPerMinute())).bind("requests", nullable(limits.requestsPerMinute()))
                        .bind("version", limits.version()).bind("at", time(at))
                        .then());
    }

    private static ScopeLimits limits(Readable row) {
        return new ScopeLimits(row.get("tokens_per_minute", Long.class), row.get("requests_per_minute", Long.class), ScopeLimits.ADMIN,
                row.get("version", Long.class));
    }

    private static Parameter nullable(Long value) {
        return value == null ? Parameter.empty(Long.class) : Parameter.from(value);
    }

    private static OffsetDateTime time(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }
}
