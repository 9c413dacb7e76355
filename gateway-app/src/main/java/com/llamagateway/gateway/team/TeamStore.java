package com.llamagateway.gateway.team;

import io.r2dbc.spi.Readable;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Teams, keys and the audit log in the database (R2DBC; the same SQL on H2 and PostgreSQL). */
public final class TeamStore {

    private final DatabaseClient db;

    public TeamStore(DatabaseClient db) {
        this.db = db;
    }

    // ---------------------------------------------------------------- teams

    Mono<Void> insertTeam(Team team) {
        return db.sql("insert into teams (id, name, description, all_models, created_at, updated_at) "
                        + "values (:id, :name, :description, :allModels, :createdAt, :updatedAt)")
                .bind("id", team.id()).bind("name", team.name())
                .bind("description", nullable(team.description()))
                .bind("allModels", team.allowedModels() == null)
                .bind("createdAt", time(team.createdAt())).bind("updatedAt", time(team.updatedAt()))
                .then()
                .then(replaceModels(team.id(), team.allowedModels()));
    }

    Mono<Void> updateTeam(Team team) {
        return db.sql("update teams set name = :name, description = :description, all_models = :allModels, updated_at = :updatedAt where id = :id")
                .bind("id", team.id()).bind("name", team.name())
                .bind("description", nullable(team.description()))
                .bind("allModels", team.allowedModels() == null)
                .bind("updatedAt", time(team.updatedAt()))
                .then()
                .then(replaceModels(team.id(), team.allowedModels()));
    }

    private Mono<Void> replaceModels(String teamId, List<String> models) {
        Mono<Void> cleared = db.sql("delete from team_models where team_id = :teamId").bind("teamId", teamId).then();
        if (models == null || models.isEmpty()) {
            return cleared;
        }
        return cleared.thenMany(Flux.fromIterable(models).concatMap(model ->
                db.sql("insert into team_models (team_id, model) values (:teamId, :model)").bind("teamId", teamId).bind("model", model).then()))
                .then();
    }

    Mono<Void> deleteTeam(String id) {
        return db.sql("delete from teams where id = :id").bind("id", id).then();
    }

    Mono<Team> findTeam(String id) {
        return db.sql("select * from teams where id = :id").bind("id", id).map(TeamStore::teamRow).one().flatMap(this::withModels);
    }

    Mono<Boolean> nameTaken(String name, String exceptId) {
        return db.sql("select count(*) as n from teams where name = :name and id <> :id").bind("name", name).bind("id", exceptId)
                .map(row -> row.get("n", Long.class)).one().map(n -> n > 0);
    }

    Flux<Team> listTeams() {
        return db.sql("select * from teams order by created_at, name").map(TeamStore::teamRow).all().concatMap(this::withModels);
    }

    private Mono<Team> withModels(Team team) {
        if (team.allowedModels() == null) {
            return Mono.just(team);
        }
        return db.sql("select model from team_models where team_id = :teamId order by model").bind("teamId", team.id())
                .map(row -> row.get("model", String.class)).all().collectList()
                .map(models -> new Team(team.id(), team.name(), team.description(), models, team.createdAt(), team.updatedAt()));
    }

    private static Team teamRow(Readable row) {
        boolean all = Boolean.TRUE.equals(row.get("all_models", Boolean.class));
        return new Team(row.get("id", String.class), row.get("name", String.class), row.get("description", String.class),
                all ? null : List.of(), instant(row, "created_at"), instant(row, "updated_at"));
    }

    // ---------------------------------------------------------------- keys

    Mono<Void> insertKey(ApiKey key, String secretHash) {
        return db.sql("insert into api_keys (id, team_id, name, prefix, secret_hash, created_at, expires_at) "
                        + "values (:id, :teamId, :name, :prefix, :hash, :createdAt, :expiresAt)")
                .bind("id", key.id()).bind("teamId", key.teamId()).bind("name", nullable(key.name()))
                .bind("prefix", key.prefix()).bind("hash", secretHash)
                .bind("createdAt", time(key.createdAt()))
                .bind("expiresAt", key.expiresAt() == null ? Parameter.empty(OffsetDateTime.class)
                        : Parameter.from(time(key.expiresAt())))
                .then();
    }

    Flux<ApiKey> listKeys(String teamId) {
        return db.sql("select * from api_keys where team_id = :teamId order by created_at").bind("teamId", teamId).map(TeamStore::keyRow).all();
    }

    Mono<ApiKey> findKey(String teamId, String keyId) {
        return db.sql("select * from api_keys where team_id = :teamId and id = :id").bind("teamId", teamId).bind("id", keyId)
                .map(TeamStore::keyRow).one();
    }

    Mono<Void> revokeKey(String keyId, Instant at) {
        return db.sql("update api_keys set revoked_at = :at where id = :id and revoked_at is null").bind("id", keyId).bind("at", time(at)).then();
    }

    /** The key with this hash and its team, for authentication. */
    Mono<KeyOwner> findByHash(String secretHash) {
        return db.sql("select k.*, t.name as team_name, t.all_models from api_keys k join teams t on t.id = k.team_id where k.secret_hash = :hash")
                .bind("hash", secretHash)
                .map(row -> new KeyOwner(keyRow(row), row.get("team_name", String.class),
                        Boolean.TRUE.equals(row.get("all_models", Boolean.class)) ? null : List.of()))
                .one()
                .flatMap(owner -> owner.models() == null ? Mono.just(owner)
                        : db.sql("select model from team_models where team_id = :teamId").bind("teamId", owner.key().teamId())
                        .map(row -> row.get("model", String.class)).all().collectList()
                        .map(models -> new KeyOwner(owner.key(), owner.teamName(), models)));
    }

    /**
     * A key and what the caller needs to know of its team.
     *
     * @param models the models the team may use, or null for every model
     */
    record KeyOwner(ApiKey key, String teamName, List<String> models) {
    }

    /** Last-used times, written in one pass and never moved backwards. */
    Mono<Void> touch(Map<String, Instant> lastUsed) {
        return Flux.fromIterable(lastUsed.entrySet()).concatMap(e ->
                db.sql("update api_keys set last_used_at = :at where id = :id and (last_used_at is null or last_used_at < :at)")
                        .bind("id", e.getKey()).bind("at", time(e.getValue())).then()).then();
    }

    private static ApiKey keyRow(Readable row) {
        return new ApiKey(row.get("id", String.class), row.get("team_id", String.class), row.get("name", String.class),
                row.get("prefix", String.class), instant(row, "created_at"), instant(row, "expires_at"), instant(row, "revoked_at"),
                instant(row, "last_used_at"));
    }

    // ---------------------------------------------------------------- audit

    public Mono<Void> audit(AuditEntry entry) {
        return db.sql("insert into audit_log (at, actor, action, target_type, target_id, before_state, after_state) "
                        + "values (:at, :actor, :action, :targetType, :targetId, :before, :after)")
                .bind("at", time(entry.at())).bind("actor", entry.actor()).bind("action", entry.action())
                .bind("targetType", entry.targetType()).bind("targetId", entry.targetId())
                .bind("before", nullable(entry.before())).bind("after", nullable(entry.after()))
                .then();
    }

    Flux<AuditEntry> auditLog(int limit, Long beforeId) {
        return db.sql("select * from audit_log where id < :before order by id desc limit :limit")
                .bind("before", beforeId == null ? Long.MAX_VALUE : beforeId).bind("limit", limit)
                .map(row -> new AuditEntry(row.get("id", Long.class), instant(row, "at"), row.get("actor", String.class),
                        row.get("action", String.class), row.get("target_type", String.class), row.get("target_id", String.class),
                        row.get("before_state", String.class), row.get("after_state", String.class)))
                .all();
    }

    // ---------------------------------------------------------------- values

    private static Parameter nullable(String value) {
        return value == null ? Parameter.empty(String.class) : Parameter.from(value);
    }

    private static OffsetDateTime time(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static Instant instant(Readable row, String column) {
        OffsetDateTime value = row.get(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

}
