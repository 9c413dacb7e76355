package com.llamagateway.gateway.quota;

/**
 * Something a quota is counted against: a deployment's capacity, or a team's allowance on one model.
 *
 * @param name  the deployment's name, or the team's id
 * @param model the model of a team's allowance; null for a deployment
 */
public record Scope(Kind kind, String name, String model) {

    public enum Kind {
        DEPLOYMENT("deployment"), TEAM("team");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** As it appears in metrics, logs and admin views. */
        public String label() {
            return label;
        }
    }

    public static Scope deployment(String name) {
        return new Scope(Kind.DEPLOYMENT, name, null);
    }

    public static Scope team(String teamId, String model) {
        return new Scope(Kind.TEAM, teamId, model);
    }

    /**
     * The scope's name among the scopes of its model: {@code t:<team id>} or {@code d:<deployment>}, percent-encoded
     * so that no name can carry a Redis hash tag or a separator.
     */
    String field() {
        return (kind == Kind.DEPLOYMENT ? "d:" : "t:") + encode(name);
    }

    /** Where a model's quota keys live in Redis: all under one hash tag, so one script's keys share a cluster slot. */
    static String modelPrefix(String model) {
        return "llgw:{m:" + encode(model) + "}:";
    }

    private static String encode(String name) {
        return java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8);
    }
}
