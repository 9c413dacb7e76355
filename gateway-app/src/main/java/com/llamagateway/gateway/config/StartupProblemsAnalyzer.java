package com.llamagateway.gateway.config;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

import java.util.LinkedHashSet;
import java.util.Set;

/** {@link StartupProblems} as Spring Boot's "APPLICATION FAILED TO START" block: every problem, then what to do. */
public final class StartupProblemsAnalyzer extends AbstractFailureAnalyzer<StartupProblems> {

    @Override
    protected FailureAnalysis analyze(Throwable root, StartupProblems cause) {
        StringBuilder description = new StringBuilder("The gateway's configuration has ").append(cause.problems().size())
                .append(cause.problems().size() == 1 ? " problem:" : " problems:");
        Set<String> actions = new LinkedHashSet<>();
        for (StartupProblems.Problem problem : cause.problems()) {
            description.append("\n  - ").append(problem.what());
            actions.add(problem.action());
        }
        StringBuilder action = new StringBuilder();
        for (String each : actions) {
            action.append(action.isEmpty() ? "" : "\n").append("- ").append(each);
        }
        action.append("\n(docs/configuration.md lists every key.)");
        return new FailureAnalysis(description.toString(), action.toString(), null);
    }
}
