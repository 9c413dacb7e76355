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
 * transaction, then written to the store, which every replica's next request reads, keeping what was spent), and
 * showing limits with what is left.
 */
public final class QuotaAdmin {

    private final LimitsRepository repository;
    private final QuotaLimits limits;
    private final QuotaStore store;
    private final DeploymentCatalog catalog;
    private final TeamService teams;
    private final TeamStore audit;
    private final TransactionalOperator transactions;
    private final Json json;
    private final Clock clock;

    public QuotaAdmin(LimitsRepository repository, QuotaLimits limits, QuotaStore store, DeploymentCatalog catalog, TeamService teams,
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
        return view(deployment.model(), new ScopeQuota(Scope.deployment(deployment.name()), limits.deployment(deployment)));
    }

    public Mono<ObjectNode> setDeploymentLimits(String actor, String name, long tokensPerMinute, long requestsPerMinute) {
        Deployment deployment = catalog.deployment(name);
        if (deployment == null) {
            return Mono.error(TeamError.notFound("deployment", name));
        }
        return change(actor, "deployment.limits", deployment.model(), new ScopeQuota(Scope.deployment(name), limits.deployment(deployment)),
                tokensPerMinute, requestsPerMinute)
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
                .then(Mono.defer(() -> change(actor, "team.quota", model, new ScopeQuota(Scope.team(teamId, model), limits.team(teamId, model)),
                        tokensPerMinute, requestsPerMinute)))
                .then(Mono.defer(() -> teamQuota(teamId, model)));
    }

    /**
     * Stores the scope's new limits with their audit entry in one transaction, with a version newer than any known
     * for the scope (in the database, on this replica, in the store); then this replica knows them and the store
     * holds them, so every replica's next request is admitted under them.
     */
    private Mono<Void> change(String actor, String action, String model, ScopeQuota before, Long tokensPerMinute, Long requestsPerMinute) {
        Scope scope = before.scope();
        Mono<Long> inStore = store.peek(model, before).map(QuotaStore.Peek::version).onErrorReturn(0L);
        return Mono.zip(repository.version(scope).defaultIfEmpty(0L), inStore).flatMap(versions -> {
            long newest = Math.max(Math.max(versions.getT1(), versions.getT2()), before.limits().version());
            ScopeLimits after = new ScopeLimits(tokensPerMinute, requestsPerMinute, ScopeLimits.ADMIN, limits.nextVersion(newest));
            Instant now = now();
            String target = scope.kind() == Scope.Kind.TEAM ? scope.name() + "/" + scope.model() : scope.name();
            return repository.save(scope, after, now)
                    .then(audit.audit(new AuditEntry(0, now, actor, action, scope.kind().label(), target, write(before.limits()), write(after))))
                    .as(transactions::transactional)
                    .then(Mono.fromRunnable(() -> limits.changed(scope, after)))
                    // a store that does not answer now learns the change from the next request of any replica that reloaded it
                    .then(store.peek(model, new ScopeQuota(scope, after)).onErrorResume(e -> Mono.empty()))
                    .then();
        });
    }

    private Mono<ObjectNode> teamQuota(String teamId, String model) {
        return view(model, new ScopeQuota(Scope.team(teamId, model), limits.team(teamId, model))).map(view -> {
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

    /**
     * {@code tokensPerMinute}, {@code requestsPerMinute} (null: not limited), {@code source}, and {@code remaining}
     * per limited unit ({@code null} while the store does not answer). The store's limits win over this replica's:
     * another replica may have applied a newer one already.
     */
    private Mono<ObjectNode> view(String model, ScopeQuota scope) {
        ObjectNode view = limitsNode(scope.limits());
        view.put("source", scope.limits().source());
        ObjectNode remaining = view.putObject("remaining");
        return store.peek(model, scope)
                .doOnNext(peek -> {
                    for (Unit unit : Unit.values()) {
                        String field = unit == Unit.TOKENS ? "tokensPerMinute" : "requestsPerMinute";
                        if (peek.levels().limits(unit)) {
                            view.put(field, peek.levels().limit(unit));
                            remaining.put(unit.label(), peek.levels().left(unit));
                        } else {
                            view.putNull(field);
                        }
                    }
                })
                .onErrorResume(e -> {
                    for (Unit unit : Unit.values()) {
                        if (scope.limits().perMinute(unit) != null) {
                            remaining.putNull(unit.label());
                        }
                    }
                    return Mono.empty();
                })
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
