package com.llamagateway.gateway.routing;

import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import org.springframework.http.HttpStatus;

import java.util.List;

/**
 * Resolves what a caller named — a model, or (azure-inference's {@code azureml-model-deployment}) a model or a
 * deployment — to the model and the pool of deployments that may serve it.
 */
public final class ModelRouter {

    private final DeploymentCatalog catalog;

    public ModelRouter(DeploymentCatalog catalog) {
        this.catalog = catalog;
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
                return new Route(models.get(0), catalog.pool(models.get(0)));
            }
            throw GatewayError.badRequest(ErrorCode.MODEL_REQUIRED, "model",
                    "The request names no model and several are available: set 'model' to one of " + models + ".");
        }
        List<Deployment> pool = catalog.pool(wanted);
        if (!pool.isEmpty()) {
            return new Route(wanted, pool);
        }
        Deployment pinned = model == null ? catalog.deployment(wanted) : null;
        if (pinned != null) {
            return new Route(pinned.model(), List.of(pinned));
        }
        String shown = wanted.length() > 200 ? wanted.substring(0, 200) + "…" : wanted;
        throw new GatewayError(HttpStatus.NOT_FOUND, ErrorCode.MODEL_NOT_FOUND,
                "The model '" + shown + "' does not exist or is not served by this gateway.", "model", null);
    }

    public DeploymentCatalog catalog() {
        return catalog;
    }
}
