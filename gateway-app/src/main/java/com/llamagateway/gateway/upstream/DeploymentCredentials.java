package com.llamagateway.gateway.upstream;

import com.llamagateway.gateway.protocol.DialectName;
import com.llamagateway.gateway.routing.Deployment;
import org.springframework.http.HttpHeaders;

/**
 * How a deployment is told who calls it, the same on the translated routes and on pass-through: its key as
 * {@code Authorization: Bearer} (what serverless and managed-compute endpoints document), also as {@code api-key} for
 * an azure-inference deployment (what {@code *.services.ai.azure.com} takes), and a managed-compute endpoint's target
 * deployment as {@code azureml-model-deployment}.
 */
public final class DeploymentCredentials {

    /** Names a managed-compute endpoint's deployment; the gateway sets it, a caller never does. */
    public static final String MODEL_DEPLOYMENT_HEADER = "azureml-model-deployment";

    private DeploymentCredentials() {
    }

    /** Sets the deployment's credentials, replacing whatever the headers held under those names. */
    public static void apply(HttpHeaders headers, Deployment deployment) {
        headers.setBearerAuth(deployment.apiKey());
        if (deployment.dialect() == DialectName.AZURE_INFERENCE) {
            headers.set("api-key", deployment.apiKey());
        } else {
            headers.remove("api-key");
        }
        if (deployment.deploymentName() != null) {
            headers.set(MODEL_DEPLOYMENT_HEADER, deployment.deploymentName());
        } else {
            headers.remove(MODEL_DEPLOYMENT_HEADER);
        }
    }
}
