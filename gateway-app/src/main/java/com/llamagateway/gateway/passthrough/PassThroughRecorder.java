package com.llamagateway.gateway.passthrough;

import com.llamagateway.gateway.protocol.Usage;
import com.llamagateway.gateway.routing.Deployment;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * What is told of each pass-through call, without bodies, queries or keys: one log line (request id, team,
 * deployment, method and path, status, how it ended, duration, bytes, usage) and the timer
 * {@code gateway.passthrough.requests} tagged by deployment, status and outcome ({@code answered},
 * {@code upstream_failed}, {@code refused}, {@code cancelled}).
 */
final class PassThroughRecorder {

    static final String METER = "gateway.passthrough.requests";
    private static final Logger log = LoggerFactory.getLogger(PassThroughRecorder.class);

    private final MeterRegistry registry;

    PassThroughRecorder(MeterRegistry registry) {
        this.registry = registry;
    }

    /** An admitted call that ended. */
    void ended(PassThroughCall call, PassThroughCall.Ending ending, long tookNanos, Usage usage) {
        record(call.deployment, call.status(), ending.label, tookNanos);
        log.info("Pass-through {}: team '{}' {} {}{} -> {} {} in {} ms, {} bytes, {}", call.requestId, call.team.teamName(), call.method,
                call.deployment.name(), call.path, call.status() == 0 ? "no answer" : call.status(), ending.label,
                TimeUnit.NANOSECONDS.toMillis(tookNanos), call.bytes(),
                usage == null ? "no usage reported" : "usage " + usage.promptTokens() + " + " + usage.completionTokens() + " tokens");
    }

    /** A call the gateway answered itself, without the deployment: not allowed, over quota, ejected, too large. */
    void refused(Deployment deployment, String requestId, int status, String code, long tookNanos) {
        record(deployment, status, PassThroughCall.Ending.REFUSED.label, tookNanos);
        log.info("Pass-through {}: {} refused {} ({})", requestId, deployment.name(), status, code);
    }

    private void record(Deployment deployment, int status, String outcome, long tookNanos) {
        Timer.builder(METER).description("Pass-through calls to deployments' own APIs, from admission to the answer's last byte")
                .tag("deployment", deployment.name()).tag("status", status == 0 ? "none" : Integer.toString(status)).tag("outcome", outcome)
                .register(registry).record(tookNanos, TimeUnit.NANOSECONDS);
    }
}
