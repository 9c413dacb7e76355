package com.llamagateway.simulator;

import java.time.Clock;
import java.util.List;
import java.util.Objects;

/**
 * One simulated Azure deployment, served under {@code /{name}} by a {@link LlamaSimulator}.
 * Its behaviour, limits and faults can be changed while it runs.
 */
public final class SimulatedDeployment {

    private final String name;
    private final DeploymentKind kind;
    private final String model;
    private final String apiKey;
    private final List<String> deploymentNames;
    private final Faults faults = new Faults();
    private final Stats stats = new Stats();
    private final MinuteWindowLimiter limiter = new MinuteWindowLimiter(Clock.systemUTC());
    private volatile Behaviour behaviour = Behaviour.instant();
    private volatile long requestsPerMinute;
    private volatile long tokensPerMinute;

    private SimulatedDeployment(String name, DeploymentKind kind, String model, String apiKey, List<String> deploymentNames) {
        this.name = requireName(name);
        this.kind = Objects.requireNonNull(kind);
        this.model = Objects.requireNonNull(model);
        this.apiKey = Objects.requireNonNull(apiKey);
        this.deploymentNames = List.copyOf(deploymentNames);
    }

    /** A serverless (Models-as-a-Service) deployment. */
    public static SimulatedDeployment serverless(String name, String model, String apiKey) {
        return new SimulatedDeployment(name, DeploymentKind.SERVERLESS, model, apiKey, List.of());
    }

    /**
     * A managed online endpoint. {@code deploymentNames} are the deployments behind the endpoint; a request whose
     * {@code azureml-model-deployment} header names another one is refused, as Azure does.
     */
    public static SimulatedDeployment managedCompute(String name, String model, String apiKey, String... deploymentNames) {
        return new SimulatedDeployment(name, DeploymentKind.MANAGED_COMPUTE, model, apiKey, List.of(deploymentNames));
    }

    private static String requireName(String name) {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            throw new IllegalArgumentException("A deployment name must be a URL path segment: " + name);
        }
        return name;
    }

    public SimulatedDeployment behaviour(Behaviour value) {
        this.behaviour = Objects.requireNonNull(value);
        return this;
    }

    public SimulatedDeployment limits(long requestsPerMinute, long tokensPerMinute) {
        this.requestsPerMinute = requestsPerMinute;
        this.tokensPerMinute = tokensPerMinute;
        return this;
    }

    public String name() {
        return name;
    }

    public DeploymentKind kind() {
        return kind;
    }

    public String model() {
        return model;
    }

    public String apiKey() {
        return apiKey;
    }

    public List<String> deploymentNames() {
        return deploymentNames;
    }

    public Behaviour behaviour() {
        return behaviour;
    }

    public Faults faults() {
        return faults;
    }

    public Stats stats() {
        return stats;
    }

    /** Back to instant answers, no faults, no limits, zeroed statistics and counters. */
    public void reset() {
        behaviour = Behaviour.instant();
        requestsPerMinute = 0;
        tokensPerMinute = 0;
        limiter.clear();
        faults.clear();
        stats.reset();
    }

    long tryAdmit(long requestTokens) {
        return limiter.tryAdmit(requestsPerMinute, tokensPerMinute, requestTokens);
    }
}
