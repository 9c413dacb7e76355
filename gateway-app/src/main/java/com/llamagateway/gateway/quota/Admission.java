package com.llamagateway.gateway.quota;

import com.llamagateway.gateway.protocol.CanonicalRequest;
import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.tokens.LlamaTokenCounter;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The admission stage: reserves what a request may cost on the team's allowance for the model and on a deployment
 * of the model's pool, all or nothing. Deployments are tried in the pool's order; the first with room serves the
 * request. Refusals: 429 naming the scope, with the headers of {@link RateLimitHeaders}; 400 when the request
 * could never fit (larger than the team's allowance, or than every deployment of the pool).
 *
 * <p>All buckets of one attempt are asked at once; when one refuses, what the others took is given back. Between
 * the two a concurrent request may see those tokens as taken — the quota is never exceeded, at worst a request
 * at the very edge of a limit is refused one round trip too early.
 */
public final class Admission {

    private final QuotaLimits limits;
    private final BucketStore store;
    private final LlamaTokenCounter counter;
    private final int defaultMaxTokens;
    private final QuotaMetrics metrics;

    public Admission(QuotaLimits limits, BucketStore store, LlamaTokenCounter counter, int defaultMaxTokens, QuotaMetrics metrics) {
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
        return Mono.defer(() -> {
            Demand demand = Demand.of(request, counter, defaultMaxTokens);
            List<BucketSpec> team = limits.team(teamId, model).buckets(Scope.team(teamId, model));
            return tryDeployment(0, candidates, team, demand, model, new ArrayList<>());
        });
    }

    private Mono<Admitted> tryDeployment(int index, List<Deployment> candidates, List<BucketSpec> team, Demand demand, String model,
                                         List<List<Attempt>> refusals) {
        if (index == candidates.size()) {
            metrics.refused(Scope.Kind.DEPLOYMENT, demand.tokens());
            return Mono.error(deploymentsRefused(refusals, demand, model));
        }
        Deployment deployment = candidates.get(index);
        List<BucketSpec> buckets = new ArrayList<>(team);
        buckets.addAll(limits.deployment(deployment).buckets(Scope.deployment(deployment.name())));
        return takeAll(buckets, demand).flatMap(attempts -> {
            if (attempts.stream().allMatch(Attempt::taken)) {
                if (!team.isEmpty()) {
                    metrics.admitted(Scope.Kind.TEAM, demand.tokens());
                }
                metrics.admitted(Scope.Kind.DEPLOYMENT, demand.tokens());
                return Mono.just(new Admitted(deployment, reservation(attempts, demand, RateLimitHeaders.admitted(attempts))));
            }
            List<Attempt> teamAttempts = of(attempts, Scope.Kind.TEAM);
            if (teamAttempts.stream().anyMatch(Attempt::refused)) {
                metrics.refused(Scope.Kind.TEAM, demand.tokens());
                return Mono.error(teamRefused(teamAttempts, demand, model));
            }
            refusals.add(of(attempts, Scope.Kind.DEPLOYMENT));
            return tryDeployment(index + 1, candidates, team, demand, model, refusals);
        });
    }

    /**
     * Asks every bucket at once. Unless all took, what was taken is given back before the answer; a store failure
     * (a scope whose policy refuses while Redis is down) is raised after that.
     */
    private Mono<List<Attempt>> takeAll(List<BucketSpec> buckets, Demand demand) {
        return Flux.fromIterable(buckets)
                .flatMap(bucket -> {
                    long amount = demand.amount(bucket.unit());
                    return store.tryTake(bucket, amount)
                            .map(take -> new Attempt(bucket, amount, take, null))
                            .onErrorResume(error -> Mono.just(new Attempt(bucket, amount, null, error)));
                })
                .collectList()
                .flatMap(attempts -> {
                    if (attempts.stream().allMatch(Attempt::taken)) {
                        return Mono.just(attempts);
                    }
                    Mono<Void> givenBack = reservation(attempts.stream().filter(Attempt::taken).toList(), demand, Map.of()).refund();
                    Throwable failure = attempts.stream().map(Attempt::failure).filter(Objects::nonNull).findFirst().orElse(null);
                    return failure != null ? givenBack.then(Mono.error(failure)) : givenBack.thenReturn(attempts);
                });
    }

    /** What the taken attempts hold, to settle or refund. */
    private Reservation reservation(List<Attempt> taken, Demand demand, Map<String, String> headers) {
        return new Reservation(taken.stream().map(a -> new Reservation.Hold(a.bucket(), a.amount(), a.take().held())).toList(),
                demand, headers, metrics);
    }

    private static List<Attempt> of(List<Attempt> attempts, Scope.Kind kind) {
        return attempts.stream().filter(a -> a.bucket().scope().kind() == kind).toList();
    }

    private static GatewayError teamRefused(List<Attempt> attempts, Demand demand, String model) {
        Attempt tooLarge = attempts.stream().filter(a -> a.take() != null && a.take().neverFits()).findFirst().orElse(null);
        if (tooLarge != null) {
            return neverFits(demand, "the team's allowance", tooLarge.take().perMinute(), model);
        }
        return new GatewayError(HttpStatus.TOO_MANY_REQUESTS, ErrorCode.TEAM_QUOTA_EXCEEDED,
                "The team's allowance on the model '" + model + "' is used up for now (" + describe(attempts) + "); retry after the time in Retry-After.",
                null, RateLimitHeaders.refused(attempts));
    }

    /** Every deployment refused: 400 if the request fits none of them, else 429 with the deployment that frees up first. */
    private static GatewayError deploymentsRefused(List<List<Attempt>> refusals, Demand demand, String model) {
        List<List<Attempt>> couldFit = refusals.stream()
                .filter(attempts -> attempts.stream().noneMatch(a -> a.take() != null && a.take().neverFits()))
                .toList();
        if (couldFit.isEmpty()) {
            long largest = refusals.stream().flatMap(List::stream).filter(a -> a.bucket().unit() == Unit.TOKENS)
                    .mapToLong(a -> a.take().perMinute()).max().orElse(0);
            return neverFits(demand, refusals.size() == 1 ? "the deployment's capacity" : "the capacity of every deployment of the model",
                    largest, model);
        }
        List<Attempt> soonest = couldFit.stream().min(Comparator.comparingLong(RateLimitHeaders::waitNanos)).orElseThrow();
        return new GatewayError(HttpStatus.TOO_MANY_REQUESTS, ErrorCode.DEPLOYMENT_CAPACITY_EXCEEDED,
                "No deployment of the model '" + model + "' has capacity left for this request (" + describe(soonest)
                        + " on the one with the shortest wait); retry after the time in Retry-After.",
                null, RateLimitHeaders.refused(soonest));
    }

    private static GatewayError neverFits(Demand demand, String what, long perMinute, String model) {
        return GatewayError.badRequest(ErrorCode.REQUEST_EXCEEDS_QUOTA, "max_tokens",
                "The request may use up to " + demand.tokens() + " tokens (" + demand.promptTokens() + " prompt tokens estimated + "
                        + demand.outputTokens() + " output tokens reserved), more than " + what + " of " + perMinute
                        + " tokens per minute on the model '" + model + "': lower max_tokens or shorten the prompt.");
    }

    private static String describe(List<Attempt> attempts) {
        List<String> parts = new ArrayList<>();
        for (Attempt a : attempts) {
            if (a.refused()) {
                parts.add(a.bucket().unit().label() + ": " + a.remainingWithout() + " of " + a.take().perMinute() + " per minute left");
            }
        }
        return String.join(", ", parts);
    }
}
