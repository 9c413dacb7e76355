package com.llamagateway.simulator;

import java.util.List;

/**
 * The simulated catalog used by the gateway's embedded default and by {@link SimulatorMain}: one model behind a
 * serverless deployment spoken to with the Llama API, one behind a serverless deployment spoken to with the Azure
 * AI Model Inference API, one behind a managed online endpoint spoken to with {@code /score}.
 */
public final class StandardDeployments {

    public static final String SERVERLESS_70B = "llama31-70b-serverless";
    public static final String SERVERLESS_8B = "llama31-8b-serverless";
    public static final String MANAGED_8B = "llama3-8b-managed";
    public static final String MANAGED_8B_DEPLOYMENT = "llama3-8b-blue";

    public static final String MODEL_70B = "Meta-Llama-3.1-70B-Instruct";
    public static final String MODEL_8B = "Meta-Llama-3.1-8B-Instruct";
    public static final String MODEL_MANAGED_8B = "Meta-Llama-3-8B-Instruct";

    public static final String LLAMA_GUARD = "llama-guard-3-serverless";
    public static final String MODEL_LLAMA_GUARD = "Llama-Guard-3-8B";
    public static final String CONTENT_SAFETY = "content-safety";

    private StandardDeployments() {
    }

    /** The content-safety stand-ins: a Llama Guard 3 deployment and an Azure AI Content Safety resource. */
    public static List<SimulatedDeployment> safety(String apiKey) {
        return List.of(SimulatedDeployment.llamaGuard(LLAMA_GUARD, MODEL_LLAMA_GUARD, apiKey),
                SimulatedDeployment.contentSafety(CONTENT_SAFETY, apiKey));
    }

    public static List<SimulatedDeployment> all(String apiKey) {
        return List.of(
                SimulatedDeployment.serverless(SERVERLESS_70B, MODEL_70B, apiKey),
                SimulatedDeployment.serverless(SERVERLESS_8B, MODEL_8B, apiKey),
                SimulatedDeployment.managedCompute(MANAGED_8B, MODEL_MANAGED_8B, apiKey, MANAGED_8B_DEPLOYMENT));
    }
}
