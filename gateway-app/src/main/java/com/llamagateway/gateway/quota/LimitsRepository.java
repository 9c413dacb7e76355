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

    Mono<Long> deploymentVersion(String deployment) {
        return db.sql("select version from deployment_limits where deployment = :deployment").bind("deployment", deployment)
                .map(row -> row.get("version", Long.class)).one();
    }

    Mono<Long> teamQuotaVersion(String teamId, String model) {
        return db.sql("select version from team_quotas where team_id = :teamId and model = :model")
                .bind("teamId", teamId).bind("model", model)
                .map(row -> row.get("version", Long.class)).one();
    }

    /** Replaces the deployment's row (within the caller's transaction). */
    Mono<Void> saveDeployment(String deployment, ScopeLimits limits, Instant at) {
        return db.sql("delete from deployment_limits where deployment = :deployment").bind("deployment", deployment).then()
                .then(db.sql("insert into deployment_limits (deployment, tokens_per_minute, requests_per_minute, version, updated_at) "
                                + "values (:deployment, :tokens, :requests, :version, :at)")
                        .bind("deployment", deployment).bind("tokens", limits.tokensPerMinute()).bind("requests", limits.requestsPerMinute())
                        .bind("version", limits.version()).bind("at", time(at))
                        .then());
    }

    /** Replaces the team's row for the model (within the caller's transaction). */
    Mono<Void> saveTeamQuota(String teamId, String model, ScopeLimits limits, Instant at) {
        return db.sql("delete from team_quotas where team_id = :teamId and model = :model").bind("teamId", teamId).bind("model", model).then()
                .then(db.sql("insert into team_quotas (team_id, model, tokens_per_minute, requests_per_minute, version, updated_at) "
                                + "values (:teamId, :model, :tokens, :requests, :version, :at)")
                        .bind("teamId", teamId).bind("model", model)
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
