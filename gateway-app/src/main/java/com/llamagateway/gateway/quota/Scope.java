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

    /** The bucket's key, the same on every replica. */
    String key(Unit unit) {
        return kind == Kind.DEPLOYMENT
                ? "llgw:quota:deployment:" + name + ":" + unit.label()
                : "llgw:quota:team:" + name + ":" + model + ":" + unit.label();
    }
}
