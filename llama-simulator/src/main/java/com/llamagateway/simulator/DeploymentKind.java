package com.llamagateway.simulator;

/** The two kinds of Azure deployment that serve Meta Llama models. */
public enum DeploymentKind {
    /** Models-as-a-Service: Llama API on {@code /v1/*} and Azure AI Model Inference API on {@code /*}. */
    SERVERLESS,
    /** Azure ML managed online endpoint: {@code POST /score} with {@code input_data}. */
    MANAGED_COMPUTE
}
