package com.llamagateway.gateway.usage;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The OpenTelemetry GenAI semantic conventions' meters, named as Envoy AI Gateway names them, for every settled
 * request (docs/operations.md, "Metrics"):
 * <ul>
 *   <li>{@code gen_ai.client.token.usage} — histogram of tokens, tag {@code gen_ai.token.type}: input | output;</li>
 *   <li>{@code gen_ai.server.request.duration} — seconds to the answer (a stream: to its end), tag {@code outcome};</li>
 *   <li>{@code gen_ai.server.time_to_first_token} — streams: seconds to the first event;</li>
 *   <li>{@code gen_ai.server.time_per_output_token} — streams: seconds per output token after the first.</li>
 * </ul>
 * All carry {@code gen_ai.operation.name} (chat | text_completion), {@code gen_ai.provider.name}
 * ({@code azure.ai.inference}), {@code gen_ai.request.model}, {@code gen_ai.response.model} (as the deployment
 * reported it, else the requested one), {@code team} (its name; beyond {@code gateway.usage.team-tag-limit} distinct
 * teams, {@code other}) and {@code deployment}. Bucket boundaries are the conventions' advice.
 */
public final class GenAiMeters {

    public static final String TOKEN_USAGE = "gen_ai.client.token.usage";
    public static final String REQUEST_DURATION = "gen_ai.server.request.duration";
    public static final String TIME_TO_FIRST_TOKEN = "gen_ai.server.time_to_first_token";
    public static final String TIME_PER_OUTPUT_TOKEN = "gen_ai.server.time_per_output_token";
    static final String OTHER_TEAM = "other";

    private static final double[] TOKEN_BUCKETS = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864};
    private static final Duration[] DURATION_BUCKETS = seconds(0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92);
    private static final Duration[] FIRST_TOKEN_BUCKETS = seconds(0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0);
    private static final Duration[] PER_TOKEN_BUCKETS = seconds(0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5);

    private final MeterRegistry registry;
    private final int teamTagLimit;
    private final Set<String> teamsTagged = ConcurrentHashMap.newKeySet();
    private final Map<Key, Meters> meters = new ConcurrentHashMap<>();

    public GenAiMeters(MeterRegistry registry, int teamTagLimit) {
        this.registry = registry;
        this.teamTagLimit = teamTagLimit;
    }

    /**
     * One series' tags. Hand-written equals and hashCode: the lookup runs once per request, and a record's generated
     * ones (method handles over every component) cost several times more there (bench/profile.sh).
     */
    private static final class Key {
        final String operation;
        final String requestModel;
        final String responseModel;
        final String team;
        final String deployment;
        final String outcome;
        private final int hash;

        Key(String operation, String requestModel, String responseModel, String team, String deployment, String outcome) {
            this.operation = operation;
            this.requestModel = requestModel;
            this.responseModel = responseModel;
            this.team = team;
            this.deployment = deployment;
            this.outcome = outcome;
            int h = Objects.hashCode(operation);
            h = 31 * h + Objects.hashCode(requestModel);
            h = 31 * h + Objects.hashCode(responseModel);
            h = 31 * h + Objects.hashCode(team);
            h = 31 * h + Objects.hashCode(deployment);
            this.hash = 31 * h + Objects.hashCode(outcome);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && hash == k.hash && Objects.equals(operation, k.operation) && Objects.equals(requestModel, k.requestModel)
                    && Objects.equals(responseModel, k.responseModel) && Objects.equals(team, k.team) && Objects.equals(deployment, k.deployment)
                    && Objects.equals(outcome, k.outcome);
        }
    }

    private record Meters(DistributionSummary input, DistributionSummary output, Timer duration, Timer firstToken, Timer perOutputToken) {
    }

    void record(UsageRecord record, String responseModel, long durationNanos, long firstEventNanos) {
        Meters m = meters.computeIfAbsent(new Key(record.operation(), record.model(), responseModel == null ? record.model() : responseModel,
                team(record.teamName()), record.deployment() == null ? "none" : record.deployment(), record.outcome().label()), this::register);
        if (record.promptTokens() > 0) {
            m.input().record(record.promptTokens());
        }
        if (record.completionTokens() > 0) {
            m.output().record(record.completionTokens());
        }
        m.duration().record(durationNanos, TimeUnit.NANOSECONDS);
        if (record.streamed() && firstEventNanos >= 0) {
            m.firstToken().record(firstEventNanos, TimeUnit.NANOSECONDS);
            if (record.completionTokens() > 1) {
                m.perOutputToken().record((durationNanos - firstEventNanos) / (record.completionTokens() - 1), TimeUnit.NANOSECONDS);
            }
        }
    }

    private String team(String name) {
        if (teamsTagged.contains(name)) {
            return name;
        }
        synchronized (teamsTagged) {
            if (teamsTagged.size() < teamTagLimit) {
                teamsTagged.add(name);
                return name;
            }
        }
        return OTHER_TEAM;
    }

    private Meters register(Key key) {
        Tags tags = Tags.of("gen_ai.operation.name", key.operation, "gen_ai.provider.name", "azure.ai.inference",
                "gen_ai.request.model", key.requestModel, "gen_ai.response.model", key.responseModel,
                "team", key.team, "deployment", key.deployment);
        // the outcome on the duration only: the token and per-token meters of one series stay whole
        return new Meters(
                tokens(tags.and("gen_ai.token.type", "input")),
                tokens(tags.and("gen_ai.token.type", "output")),
                Timer.builder(REQUEST_DURATION).description("GenAI request duration").tags(tags).tag("outcome", key.outcome)
                        .serviceLevelObjectives(DURATION_BUCKETS).register(registry),
                Timer.builder(TIME_TO_FIRST_TOKEN).description("Time to the first event of a stream").tags(tags)
                        .serviceLevelObjectives(FIRST_TOKEN_BUCKETS).register(registry),
                Timer.builder(TIME_PER_OUTPUT_TOKEN).description("Time per output token after the first, of a stream").tags(tags)
                        .serviceLevelObjectives(PER_TOKEN_BUCKETS).register(registry));
    }

    private DistributionSummary tokens(Tags tags) {
        return DistributionSummary.builder(TOKEN_USAGE).description("Tokens used, per request").tags(tags)
                .serviceLevelObjectives(TOKEN_BUCKETS).register(registry);
    }

    private static Duration[] seconds(double... values) {
        Duration[] durations = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            durations[i] = Duration.ofNanos(Math.round(values[i] * 1e9));
        }
        return durations;
    }
}
