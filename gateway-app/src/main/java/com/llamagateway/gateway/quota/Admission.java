package com.llamagateway.gateway.quota;

import com.llamagateway.gateway.RandomIds;
import com.llamagateway.gateway.protocol.CanonicalRequest;
import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.quota.QuotaStore.AdmitAnswer;
import com.llamagateway.gateway.quota.QuotaStore.Levels;
import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.tokens.LlamaTokenCounter;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Mono;

import java.util.ArrayList;
import java.util.List;

/**
 * The admission stage: builds what a request may cost ({@link Demand}) and asks the store to reserve it on the
 * team's allowance for the model and on the first deployment of the model's pool with room — all or nothing, in one
 * step of the store. Then renders the answer: the deployment and its {@link Reservation}, or a refusal — 429 naming
 * the scope, with the headers of {@link RateLimitHeaders}; 400 when the request could never fit (larger than the
 * team's allowance, or than every deployment of the pool).
 */
public final class Admission {

    private final QuotaLimits limits;
    private final QuotaStore store;
    private final LlamaTokenCounter counter;
    private final int defaultMaxTokens;
    private final QuotaMetrics metrics;

    public Admission(QuotaLimits limits, QuotaStore store, LlamaTokenCounter counter, int defaultMaxTokens, QuotaMetrics metrics) {
        this.limits = limits;
        this.store = store;
        this.counter = counter;
        this.defaultMaxTokens = defaultMaxTokens;
        this.metrics = metrics;
    }

    /** The deployment that will serve the request and what the request holds. */
    public record Admitted(Deployment deployment, Reservation reservation) {
    }

    /**
     * @param candidates the model's pool, in order of preference
     */
    public Mono<Admitted> admit(String teamId, String model, List<Deployment> candidates, CanonicalRequest request) {
        return admit(teamId, model, candidates, request, true);
    }

    /**
     * The admission of an attempt that waited out the cool-down its deployment asked for: cool-downs do not keep
     * it out (another request may have extended the cool-down meanwhile; this one waited what it was told).
     */
    public Mono<Admitted> admitAfterWaiting(String teamId, String model, List<Deployment> candidates, CanonicalRequest request) {
        return admit(teamId, model, candidates, request, false);
    }

    /**
     * A request whose cost is not known before it is answered (pass-through to a deployment's own API): one request
     * on the team's and the deployment's request buckets, no tokens reserved — their tokens buckets refuse it only
     * while in debt. Settling it with the answer's usage charges those tokens then; settling it with none counts
     * the request alone.
     */
    public Mono<Admitted> admitRequest(String teamId, String model, Deployment deployment) {
        return admit(teamId, model, List.of(deployment), () -> Demand.REQUEST_ONLY, true);
    }

    private Mono<Admitted> admit(String teamId, String model, List<Deployment> candidates, CanonicalRequest request, boolean coolDownsApply) {
        return admit(teamId, model, candidates, () -> Demand.of(request, counter, defaultMaxTokens), coolDownsApply);
    }

    private Mono<Admitted> admit(String teamId, String model, List<Deployment> candidates, java.util.function.Supplier<Demand> demanded,
                                 boolean coolDownsApply) {
        return Mono.defer(() -> {
            Demand demand = demanded.get();
            ScopeQuota team = new ScopeQuota(Scope.team(teamId, model), limits.team(teamId, model));
            List<ScopeQuota> pool = candidates.stream().map(d -> new ScopeQuota(Scope.deployment(d.name()), limits.deployment(d))).toList();
            // larger than any limit can be is "never fits" for every scope, without numbers the store need not handle
            long tokens = Math.min(demand.tokens(), ScopeLimits.MAX_PER_MINUTE + 1);
            return store.admit(new QuotaStore.Admit(RandomIds.uuid(), model, team, pool, tokens, coolDownsApply))
                    .map(answer -> admitted(answer, candidates, demand, model));
        });
    }

    private Admitted admitted(AdmitAnswer answer, List<Deployment> candidates, Demand demand, String model) {
        boolean teamLimited = answer.team().limits(Unit.TOKENS) || answer.team().limits(Unit.REQUESTS);
        switch (answer.status()) {
            case ADMITTED -> {
                if (teamLimited) {
                    metrics.admitted(Scope.Kind.TEAM, demand.tokens());
                }
                metrics.admitted(Scope.Kind.DEPLOYMENT, demand.tokens());
                return new Admitted(candidates.get(answer.member()), new Reservation(store, answer.held(), demand,
                        answer.team().limits(Unit.TOKENS), RateLimitHeaders.admitted(answer.team(), answer.memberLevels()), metrics));
            }
            case TEAM_REFUSED -> {
                metrics.refused(Scope.Kind.TEAM, demand.tokens());
                throw new GatewayError(HttpStatus.TOO_MANY_REQUESTS, ErrorCode.TEAM_QUOTA_EXCEEDED,
                        "The team's allowance on the model '" + model + "' is used up for now (" + describe(answer.team(), demand)
                                + "); retry after the time in Retry-After.", null, RateLimitHeaders.refused(answer.team(), answer.waitMillis()));
            }
            case TEAM_NEVER_FITS -> {
                metrics.refused(Scope.Kind.TEAM, demand.tokens());
                throw neverFits(demand, "the team's allowance", answer.team().tokensLimit(), model);
            }
            case NO_ROOM -> {
                metrics.refused(Scope.Kind.DEPLOYMENT, demand.tokens());
                throw new GatewayError(HttpStatus.TOO_MANY_REQUESTS, ErrorCode.DEPLOYMENT_CAPACITY_EXCEEDED,
                        "No deployment of the model '" + model + "' has capacity left for this request (" + describe(answer.memberLevels(), demand)
                                + " on the one with the shortest wait); retry after the time in Retry-After.", null,
                        RateLimitHeaders.refused(answer.memberLevels(), answer.waitMillis()));
            }
            case COOLING_DOWN -> {
                metrics.refused(Scope.Kind.DEPLOYMENT, demand.tokens());
                throw new GatewayError(HttpStatus.TOO_MANY_REQUESTS, ErrorCode.UPSTREAM_RATE_LIMITED,
                        (candidates.size() == 1 ? "The deployment of the model '" + model + "' asked"
                                : "Every deployment of the model '" + model + "' with capacity left asked")
                                + " the gateway to wait before sending it more requests; retry after the time in Retry-After.", null,
                        RateLimitHeaders.refused(answer.memberLevels(), answer.waitMillis()));
            }
            case POOL_NEVER_FITS -> {
                metrics.refused(Scope.Kind.DEPLOYMENT, demand.tokens());
                throw neverFits(demand, candidates.size() == 1 ? "the deployment's capacity" : "the capacity of every deployment of the model",
                        answer.memberLevels().tokensLimit(), model);
            }
            default -> throw new IllegalStateException("unknown admission status " + answer.status());
        }
    }

    private static GatewayError neverFits(Demand demand, String what, long perMinute, String model) {
        return GatewayError.badRequest(ErrorCode.REQUEST_EXCEEDS_QUOTA, "max_tokens",
                "The request may use up to " + demand.tokens() + " tokens (" + demand.promptTokens() + " prompt tokens estimated + "
                        + demand.outputTokens() + " output tokens reserved), more than " + what + " of " + perMinute
                        + " tokens per minute on the model '" + model + "': lower max_tokens or shorten the prompt.");
    }

    /** The units of a refusing scope that cannot take the request, e.g. "requests: 0 of 2 per minute left". */
    private static String describe(Levels levels, Demand demand) {
        List<String> parts = new ArrayList<>();
        for (Unit unit : Unit.values()) {
            if (levels.limits(unit) && levels.left(unit) < demand.amount(unit)) {
                parts.add(unit.label() + ": " + Math.max(0, levels.left(unit)) + " of " + levels.limit(unit) + " per minute left");
            }
        }
        return String.join(", ", parts);
    }
}
