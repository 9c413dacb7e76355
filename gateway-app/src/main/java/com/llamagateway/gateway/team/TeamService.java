package com.llamagateway.gateway.team;

import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.HttpStatus;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * Managing teams and their keys. Every change and its audit entry are written in one transaction; a revocation
 * also empties this replica's key cache at once (other replicas follow within {@link KeyAuthenticator}'s cache time).
 */
public final class TeamService {

    private final TeamStore store;
    private final TransactionalOperator transactions;
    private final TeamViews views;
    private final KeyAuthenticator authenticator;
    private final Predicate<String> knownModel;
    private final Clock clock;

    public TeamService(TeamStore store, TransactionalOperator transactions, TeamViews views, KeyAuthenticator authenticator,
                       Predicate<String> knownModel, Clock clock) {
        this.store = store;
        this.transactions = transactions;
        this.views = views;
        this.authenticator = authenticator;
        this.knownModel = knownModel;
        this.clock = clock;
    }

    /** What a team update changes; a null component is left as it is. */
    public record TeamPatch(String name, Optional<String> description, Optional<List<String>> models) {
    }

    /** A new key: its secret, shown once, and what is kept of it. */
    public record CreatedKey(ApiKey key, String secret) {
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    public Mono<Team> createTeam(String actor, String name, String description, List<String> models) {
        return Mono.defer(() -> {
            Instant now = now();
            Team team = new Team(UUID.randomUUID().toString(), validName(name), validDescription(description), validModels(models), now, now);
            return store.nameTaken(team.name(), team.id()).flatMap(taken -> taken ? Mono.error(nameConflict(team.name()))
                    : store.insertTeam(team)
                    .then(audit(actor, "team.create", "team", team.id(), null, views.write(views.team(team))))
                    .thenReturn(team));
        }).as(transactions::transactional).onErrorMap(DataIntegrityViolationException.class, e -> nameConflict(name));
    }

    public Flux<Team> listTeams() {
        return store.listTeams();
    }

    public Mono<Team> getTeam(String id) {
        return store.findTeam(id).switchIfEmpty(Mono.error(() -> TeamError.notFound("team", id)));
    }

    public Mono<Team> updateTeam(String actor, String id, TeamPatch patch) {
        return getTeam(id).flatMap(before -> {
            Team after = new Team(before.id(),
                    patch.name() != null ? validName(patch.name()) : before.name(),
                    patch.description() != null ? validDescription(patch.description().orElse(null)) : before.description(),
                    patch.models() != null ? validModels(patch.models().orElse(null)) : before.allowedModels(),
                    before.createdAt(), now());
            return store.nameTaken(after.name(), after.id()).flatMap(taken -> taken ? Mono.error(nameConflict(after.name()))
                    : store.updateTeam(after)
                    .then(audit(actor, "team.update", "team", id, views.write(views.team(before)), views.write(views.team(after))))
                    .thenReturn(after));
        }).as(transactions::transactional).onErrorMap(DataIntegrityViolationException.class, e -> nameConflict(patch.name()))
                .doOnSuccess(team -> authenticator.invalidateAll()); // model permissions may have changed
    }

    public Mono<Void> deleteTeam(String actor, String id) {
        return getTeam(id).flatMap(before -> store.deleteTeam(id)
                        .then(audit(actor, "team.delete", "team", id, views.write(views.team(before)), null)))
                .as(transactions::transactional)
                .doOnSuccess(done -> authenticator.invalidateAll());
    }

    public Mono<CreatedKey> createKey(String actor, String teamId, String name, Instant expiresAt) {
        return getTeam(teamId).flatMap(team -> {
            Instant now = now();
            if (expiresAt != null && !expiresAt.isAfter(now)) {
                return Mono.error(TeamError.invalid("expiresAt", "'expiresAt' must be in the future."));
            }
            String secret = KeyFormat.generate();
            ApiKey key = new ApiKey(UUID.randomUUID().toString(), teamId, validKeyName(name), KeyFormat.displayPrefix(secret), now,
                    expiresAt, null, null);
            return store.insertKey(key, KeyFormat.hash(secret))
                    .then(audit(actor, "key.create", "key", key.id(), null, views.write(views.key(key))))
                    .thenReturn(new CreatedKey(key, secret));
        }).as(transactions::transactional);
    }

    public Flux<ApiKey> listKeys(String teamId) {
        return getTeam(teamId).thenMany(store.listKeys(teamId));
    }

    public Mono<ApiKey> revokeKey(String actor, String teamId, String keyId) {
        return getTeam(teamId).then(store.findKey(teamId, keyId)).switchIfEmpty(Mono.error(() -> TeamError.notFound("key", keyId)))
                .flatMap(before -> {
                    if (before.revokedAt() != null) {
                        return Mono.just(before);
                    }
                    ApiKey after = new ApiKey(before.id(), before.teamId(), before.name(), before.prefix(), before.createdAt(),
                            before.expiresAt(), now(), before.lastUsedAt());
                    return store.revokeKey(keyId, after.revokedAt())
                            .then(audit(actor, "key.revoke", "key", keyId, views.write(views.key(before)), views.write(views.key(after))))
                            .thenReturn(after);
                })
                .as(transactions::transactional)
                .doOnSuccess(key -> authenticator.invalidateAll());
    }

    public Flux<AuditEntry> auditLog(int limit, Long beforeId) {
        return store.auditLog(limit, beforeId);
    }

    private Mono<Void> audit(String actor, String action, String targetType, String targetId, String before, String after) {
        return store.audit(new AuditEntry(0, now(), actor, action, targetType, targetId, before, after));
    }

    private static TeamError nameConflict(String name) {
        return new TeamError(HttpStatus.CONFLICT, "team_name_taken", "name", "A team named '" + name + "' already exists.");
    }

    private static String validName(String name) {
        if (name == null || name.isBlank()) {
            throw TeamError.invalid("name", "'name' is required.");
        }
        String trimmed = name.strip();
        if (trimmed.length() > 100 || trimmed.chars().anyMatch(Character::isISOControl)) {
            throw TeamError.invalid("name", "'name' must be at most 100 printable characters.");
        }
        return trimmed;
    }

    private static String validDescription(String description) {
        if (description != null && description.length() > 1000) {
            throw TeamError.invalid("description", "'description' must be at most 1000 characters.");
        }
        return description;
    }

    private static String validKeyName(String name) {
        if (name != null && (name.length() > 100 || name.chars().anyMatch(Character::isISOControl))) {
            throw TeamError.invalid("name", "'name' must be at most 100 printable characters.");
        }
        return name;
    }

    private List<String> validModels(List<String> models) {
        if (models == null) {
            return null;
        }
        for (int i = 0; i < models.size(); i++) {
            if (models.get(i) == null || !knownModel.test(models.get(i))) {
                throw TeamError.invalid("models[" + i + "]", "'" + models.get(i) + "' is not a model of the catalog.");
            }
        }
        return models.stream().distinct().sorted().toList();
    }
}
