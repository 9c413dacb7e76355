package com.llamagateway.simulator;

/** The kinds of Azure resource the simulator stands in for: the two that serve Meta Llama models, and Content Safety. */
public enum DeploymentKind {
    /** Models-as-a-Service: Llama API on {@code /v1/*} and Azure AI Model Inference API on {@code /*}. */
    SERVERLESS,
    /** Azure ML managed online endpoint: {@code POST /score} with {@code input_data}. */
    MANAGED_COMPUTE,
    /** Azure AI Content Safety: {@code POST /contentsafety/text:analyze}. */
    CONTENT_SAFETY
}
