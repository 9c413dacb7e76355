package com.llamagateway.gateway.quota;

import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.routing.DeploymentCatalog;
import com.llamagateway.gateway.team.AuditEntry;
import com.llamagateway.gateway.team.Team;
import com.llamagateway.gateway.team.TeamError;
import com.llamagateway.gateway.team.TeamService;
import com.llamagateway.gateway.team.TeamStore;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ObjectNode;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The admin side of quotas: setting a deployment's capacity or a team's allowance (stored and audited in one
 * transaction, then applied to the buckets at once, keeping what was spent), and showing limits with what is left.
 */
public final class QuotaAdmin {

    private final LimitsRepository repository;
    private final QuotaLimits limits;
    private final BucketStore store;
    private final DeploymentCatalog catalog;
    private final TeamService teams;
    private final TeamStore audit;
    private final TransactionalOperator transactions;
    private final Json json;
    private final Clock clock;

    public QuotaAdmin(LimitsRepository repository, QuotaLimits limits, BucketStore store, DeploymentCatalog catalog, TeamService teams,
                      TeamStore audit, TransactionalOperator transactions, Json json, Clock clock) {
        this.repository = repository;
        this.limits = limits;
        this.store = store;
        this.catalog = catalog;
        this.teams = teams;
        this.audit = audit;
        this.transactions = transactions;
        this.json = json;
        this.clock = clock;
    }

    /** The deployment's limits and what its buckets hold now. */
    public Mono<ObjectNode> deployment(Deployment deployment) {
        return view(limits.deployment(deployment), Scope.deployment(deployment.name()));
    }

    public Mono<ObjectNode> setDeploymentLimits(String actor, String name, long tokensPerMinute, long requestsPerMinute) {
        Deployment deployment = catalog.deployment(name);
        if (deployment == null) {
            return Mono.error(TeamError.notFound("deployment", name));
        }
        return change(actor, "deployment.limits", Scope.deployment(name), limits.deployment(deployment), tokensPerMinute, requestsPerMinute)
                .then(Mono.defer(() -> deployment(deployment)));
    }

    /** The team's allowance on every model it may use. */
    public Mono<List<ObjectNode>> teamQuotas(String teamId) {
        return teams.getTeam(teamId).flatMapMany(team -> Flux.fromIterable(modelsOf(team))
                        .concatMap(model -> teamQuota(teamId, model)))
                .collectList();
    }

    public Mono<ObjectNode> setTeamQuota(String actor, String teamId, String model, Long tokensPerMinute, Long requestsPerMinute) {
        if (catalog.pool(model).isEmpty()) {
            return Mono.error(TeamError.notFound("model", model));
        }
        return teams.getTeam(teamId)
                .then(Mono.defer(() -> change(actor, "team.quota", Scope.team(teamId, model), limits.team(teamId, model),
                        tokensPerMinute, requestsPerMinute)))
                .then(Mono.defer(() -> teamQuota(teamId, model)));
    }

    /**
     * Stores the scope's new limits with their audit entry in one transaction, with a version newer than any known
     * for the scope; then this replica knows them and the buckets carry them.
     */
    private Mono<Void> change(String actor, String action, Scope scope, ScopeLimits before, Long tokensPerMinute, Long requestsPerMinute) {
        return repository.version(scope).defaultIfEmpty(0L).flatMap(stored -> {
            ScopeLimits after = new ScopeLimits(tokensPerMinute, requestsPerMinute, ScopeLimits.ADMIN,
                    limits.nextVersion(Math.max(stored, before.version())));
            Instant now = now();
            String target = scope.kind() == Scope.Kind.TEAM ? scope.name() + "/" + scope.model() : scope.name();
            return repository.save(scope, after, now)
                    .then(audit.audit(new AuditEntry(0, now, actor, action, scope.kind().label(), target, write(before), write(after))))
                    .as(transactions::transactional)
                    .then(Mono.fromRunnable(() -> limits.changed(scope, after)))
                    .then(apply(after, scope));
        });
    }

    private Mono<ObjectNode> teamQuota(String teamId, String model) {
        return view(limits.team(teamId, model), Scope.team(teamId, model)).map(view -> {
            ObjectNode withModel = json.object();
            withModel.put("model", model);
            withModel.setAll(view);
            return withModel;
        });
    }

    private List<String> modelsOf(Team team) {
        return team.allowedModels() == null ? catalog.models()
                : team.allowedModels().stream().filter(model -> !catalog.pool(model).isEmpty()).toList();
    }

    /** Brings the buckets to the new version now (any operation does), so every replica enforces it at once. */
    private Mono<Void> apply(ScopeLimits after, Scope scope) {
        return Flux.fromIterable(after.buckets(scope)).flatMap(bucket -> store.level(bucket).onErrorResume(e -> Mono.empty())).then();
    }

    /**
     * {@code tokensPerMinute}, {@code requestsPerMinute} (null: not limited), {@code source}, and {@code remaining}
     * per limited unit ({@code null} while the store does not answer).
     */
    private Mono<ObjectNode> view(ScopeLimits scopeLimits, Scope scope) {
        ObjectNode view = limitsNode(scopeLimits);
        view.put("source", scopeLimits.source());
        ObjectNode remaining = view.putObject("remaining");
        return Flux.fromIterable(scopeLimits.buckets(scope))
                .concatMap(bucket -> store.level(bucket)
                        .doOnNext(level -> {
                            remaining.put(bucket.unit().label(), level.available());
                            // the store's size wins: another replica may have applied a newer limit already
                            view.put(bucket.unit() == Unit.TOKENS ? "tokensPerMinute" : "requestsPerMinute", level.perMinute());
                        })
                        .onErrorResume(e -> {
                            remaining.putNull(bucket.unit().label());
                            return Mono.empty();
                        }))
                .then(Mono.just(view));
    }

    private ObjectNode limitsNode(ScopeLimits scopeLimits) {
        ObjectNode node = json.object();
        node.put("tokensPerMinute", scopeLimits.tokensPerMinute());
        node.put("requestsPerMinute", scopeLimits.requestsPerMinute());
        return node;
    }

    private String write(ScopeLimits scopeLimits) {
        return json.write(limitsNode(scopeLimits));
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
