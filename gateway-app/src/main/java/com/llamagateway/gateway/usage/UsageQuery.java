package com.llamagateway.gateway.usage;

import java.time.Instant;
import java.util.List;

/**
 * A question to the ledger: which rows (every filter optional, {@code from} inclusive, {@code to} exclusive) and
 * what to sum them by.
 *
 * @param team a team's id or name
 */
public record UsageQuery(String team, String model, String deployment, String key, Instant from, Instant to, List<GroupBy> groupBy) {

    public UsageQuery {
        groupBy = List.copyOf(groupBy);
        if (groupBy.contains(GroupBy.HOUR) && groupBy.contains(GroupBy.DAY)) {
            throw new IllegalArgumentException("groupBy takes hour or day, not both");
        }
    }

    /** What rows are summed by; {@code hour} and {@code day} are UTC. */
    public enum GroupBy {
        TEAM("team"), MODEL("model"), DEPLOYMENT("deployment"), KEY("key"), HOUR("hour"), DAY("day");

        private final String label;

        GroupBy(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public static GroupBy of(String label) {
            for (GroupBy value : values()) {
                if (value.label.equalsIgnoreCase(label.trim())) {
                    return value;
                }
            }
            throw new IllegalArgumentException("groupBy takes team, model, deployment, key, hour or day, not '" + label + "'");
        }
    }

    /**
     * One group's sums. Fields not grouped by are null; {@code period} is the start of the hour or day.
     */
    public record Row(String teamId, String team, String model, String deployment, String key, Instant period, long requests,
                      long promptTokens, long completionTokens, long estimatedPromptTokens, long reservedTokens, long ok, long upstreamErrors,
                      long contentFiltered, long cancelled, long latencyMillisTotal) {

        public long totalTokens() {
            return promptTokens + completionTokens;
        }

        public long meanLatencyMillis() {
            return requests == 0 ? 0 : latencyMillisTotal / requests;
        }
    }
}
