package com.llamagateway.gateway.config;

import java.util.List;

/**
 * Everything {@link StartupCheck} found wrong with the configuration, each problem with what to do about it; shown
 * by {@link StartupProblemsAnalyzer} as one short block instead of a stack trace.
 */
public final class StartupProblems extends RuntimeException {

    /** One mistake and its remedy. */
    public record Problem(String what, String action) {
    }

    private final List<Problem> problems;

    public StartupProblems(List<Problem> problems) {
        super(problems.size() + " configuration problem(s): " + String.join("; ", problems.stream().map(Problem::what).toList()), null, false, false);
        this.problems = List.copyOf(problems);
    }

    public List<Problem> problems() {
        return problems;
    }
}
