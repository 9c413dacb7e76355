package com.llamagateway.gateway.routing;

import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import org.springframework.http.HttpStatus;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Resolves what a caller named — a model, or (azure-inference's {@code azureml-model-deployment}) a model or a
 * deployment — to the model and the pool of deployments that may serve it, in this request's order of preference:
 * by priority (lower first), and within one priority a random order in which each member comes first as often as
 * its weight says (weighted sampling without replacement). Admission takes the first member of that order with room;
 * failover the next.
 */
public final class ModelRouter {

    private final DeploymentCatalog catalog;
    private final RandomGenerator random;

    public ModelRouter(DeploymentCatalog catalog) {
        this(catalog, null);
    }

    /** @param random the order's randomness; null: a thread-local generator */
    public ModelRouter(DeploymentCatalog catalog, RandomGenerator random) {
        this.catalog = catalog;
        this.random = random;
    }

    /** The chosen model and its candidate deployments, in preference order. */
    public record Route(String model, List<Deployment> candidates) {

        public Deployment first() {
            return candidates.get(0);
        }
    }

    /**
     * @param model           the body's {@code model}, or null
     * @param deploymentHeader the {@code azureml-model-deployment} header, or null
     */
    public Route route(String model, String deploymentHeader) {
        String wanted = model != null && !model.isBlank() ? model : deploymentHeader;
        if (wanted == null || wanted.isBlank()) {
            List<String> models = catalog.models();
            if (models.size() == 1) {
                return new Route(models.get(0), ordered(catalog.pool(models.get(0))));
            }
            throw GatewayError.badRequest(ErrorCode.MODEL_REQUIRED, "model",
                    "The request names no model and several are available: set 'model' to one of " + models + ".");
        }
        List<Deployment> pool = catalog.pool(wanted);
        if (!pool.isEmpty()) {
            return new Route(wanted, ordered(pool));
        }
        Deployment pinned = model == null ? catalog.deployment(wanted) : null;
        if (pinned != null) {
            return new Route(pinned.model(), List.of(pinned));
        }
        String shown = wanted.length() > 200 ? wanted.substring(0, 200) + "…" : wanted;
        throw new GatewayError(HttpStatus.NOT_FOUND, ErrorCode.MODEL_NOT_FOUND,
                "The model '" + shown + "' does not exist or is not served by this gateway.", "model", null);
    }

    /**
     * The pool in this request's order (see the class). Members of one priority that set no weight keep the
     * configuration order; where one of them sets a weight, the others count as weight 1.
     */
    List<Deployment> ordered(List<Deployment> pool) {
        if (pool.size() < 2 || asConfigured(pool)) {
            return pool; // the common case: the catalog keeps pools in priority order
        }
        record Keyed(Deployment deployment, int position, double key) {
        }
        RandomGenerator generator = random != null ? random : ThreadLocalRandom.current();
        Set<Integer> weighted = new HashSet<>();
        pool.forEach(d -> {
            if (d.preference().weight() != null) {
                weighted.add(d.preference().priority());
            }
        });
        List<Keyed> keyed = new ArrayList<>(pool.size());
        for (int i = 0; i < pool.size(); i++) {
            Deployment d = pool.get(i);
            double key = 0;
            if (weighted.contains(d.preference().priority())) {
                // Efraimidis–Spirakis: ascending -ln(U)/w is a weighted random permutation
                double u = generator.nextDouble();
                key = -Math.log(u == 0 ? Double.MIN_VALUE : u) / d.preference().weightOrOne();
            }
            keyed.add(new Keyed(d, i, key));
        }
        keyed.sort(Comparator.comparingInt((Keyed k) -> k.deployment().preference().priority())
                .thenComparingDouble(Keyed::key).thenComparingInt(Keyed::position));
        return keyed.stream().map(Keyed::deployment).toList();
    }

    /** No member sets a weight and the priorities never go down: the pool's own order is the order. */
    private static boolean asConfigured(List<Deployment> pool) {
        for (int i = 0; i < pool.size(); i++) {
            Deployment.Preference preference = pool.get(i).preference();
            if (preference.weight() != null || (i > 0 && preference.priority() < pool.get(i - 1).preference().priority())) {
                return false;
            }
        }
        return true;
    }

    public DeploymentCatalog catalog() {
        return catalog;
    }
}
