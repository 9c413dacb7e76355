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
    private final boolean llamaGuard;
    private final List<Flag> flags = new java.util.concurrent.CopyOnWriteArrayList<>();

    private SimulatedDeployment(String name, DeploymentKind kind, String model, String apiKey, List<String> deploymentNames, boolean llamaGuard) {
        this.name = requireName(name);
        this.kind = Objects.requireNonNull(kind);
        this.model = Objects.requireNonNull(model);
        this.apiKey = Objects.requireNonNull(apiKey);
        this.deploymentNames = List.copyOf(deploymentNames);
        this.llamaGuard = llamaGuard;
        this.flags.addAll(defaultFlags());
    }

    private SimulatedDeployment(String name, DeploymentKind kind, String model, String apiKey, List<String> deploymentNames) {
        this(name, kind, model, apiKey, deploymentNames, false);
    }

    /**
     * What a classifier (Content Safety, Llama Guard) finds: text containing {@code phrase} (case-insensitive) is in
     * {@code category} — {@code Hate}, {@code SelfHarm}, {@code Sexual}, {@code Violence} with a severity 0–7 for
     * Content Safety; {@code S1}…{@code S14} for Llama Guard (severity unused).
     */
    public record Flag(String category, int severity, String phrase) {
    }

    /**
     * A serverless deployment of Llama Guard 3: it answers the Llama Guard 3 prompt (as a text completion) with
     * {@code safe} or {@code unsafe\nS…} by its {@link #flag flags}; a chat request judges the last user message
     * against every category. A prompt not in Llama Guard's format gets the behaviour's reply, as a real model
     * would answer nonsense.
     */
    public static SimulatedDeployment llamaGuard(String name, String model, String apiKey) {
        return new SimulatedDeployment(name, DeploymentKind.SERVERLESS, model, apiKey, List.of(), true);
    }

    /** An Azure AI Content Safety resource: {@code /contentsafety/text:analyze}, judging text by its {@link #flag flags}. */
    public static SimulatedDeployment contentSafety(String name, String apiKey) {
        return new SimulatedDeployment(name, DeploymentKind.CONTENT_SAFETY, "azure-ai-content-safety", apiKey, List.of());
    }

    /** Makes the classifier find {@code phrase} in {@code category} at {@code severity}. */
    public SimulatedDeployment flag(String category, int severity, String phrase) {
        flags.add(new Flag(category, severity, phrase));
        return this;
    }

    public List<Flag> flags() {
        return List.copyOf(flags);
    }

    /** A few phrases each classifier knows from the start (docs/content-safety.md lists them). */
    private List<Flag> defaultFlags() {
        if (kind == DeploymentKind.CONTENT_SAFETY) {
            return List.of(new Flag("Violence", 2, "punch"), new Flag("Violence", 4, "stab him"), new Flag("Violence", 6, "massacre"),
                    new Flag("Hate", 4, "inferior race"), new Flag("SelfHarm", 6, "end my life"), new Flag("Sexual", 4, "explicit scene"));
        }
        return llamaGuard ? List.of(new Flag("S1", 0, "kill my neighbour"), new Flag("S2", 0, "launder money"),
                new Flag("S9", 0, "nerve agent"), new Flag("S11", 0, "end my life")) : List.of();
    }

    /** The text this deployment generates for a request (before max_tokens and stop sequences cut it). */
    String reply(boolean chat, List<String> promptTexts) {
        return llamaGuard ? LlamaGuardModel.answer(chat, promptTexts, flags, behaviour.reply()) : behaviour.reply();
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
        flags.clear();
        flags.addAll(defaultFlags());
        stats.reset();
    }

    long tryAdmit(long requestTokens) {
        return limiter.tryAdmit(requestsPerMinute, tokensPerMinute, requestTokens);
    }
}
