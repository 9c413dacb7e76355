package com.llamagateway.gateway.quota;

/** What a bucket counts. A scope has one bucket per unit: one request never costs the same in both. */
public enum Unit {
    TOKENS("tokens"), REQUESTS("requests");

    private final String label;

    Unit(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
