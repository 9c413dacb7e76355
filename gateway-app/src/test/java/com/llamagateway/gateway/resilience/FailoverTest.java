package com.llamagateway.gateway.resilience;

import com.llamagateway.gateway.protocol.DialectName;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.routing.DeploymentKind;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class FailoverTest {

    private static final ResilienceProperties.Breaker BREAKER = new ResilienceProperties.Breaker(5, Duration.ofSeconds(30), Duration.ofMinutes(5));

    private static Deployment deployment(String name) {
        return new Deployment(name, DeploymentKind.SERVERLESS, URI.create("http://" + name), "k", "m", DialectName.V1, null, "v",
                Duration.ofSeconds(1), Duration.ofSeconds(1), new Deployment.Capacity(400_000, 1_000));
    }

    private static GatewayError error(int status, String code, Map<String, String> headers) {
        return new GatewayError(HttpStatus.valueOf(status), code, "x", null, headers);
    }

    @Test
    void onlyTheDeploymentsFailuresAreRetryable() {
        assertThat(Failover.retryable(error(503, "upstream_unavailable", null))).isTrue();
        assertThat(Failover.retryable(error(502, "upstream_unavailable", null))).as("connection refused").isTrue();
        assertThat(Failover.retryable(error(502, "upstream_error", null))).isTrue();
        assertThat(Failover.retryable(error(504, "upstream_timeout", null))).isTrue();
        assertThat(Failover.retryable(error(429, "upstream_rate_limited", null))).isTrue();
        assertThat(Failover.retryable(error(400, "upstream_error", null))).as("the deployment refused the request").isFalse();
        assertThat(Failover.retryable(error(422, "parameter_not_supported", null))).isFalse();
        assertThat(Failover.retryable(error(400, "content_filter", null))).isFalse();
        assertThat(Failover.retryable(error(503, "content_filter_unavailable", null))).as("not the deployment's").isFalse();
        assertThat(Failover.retryable(error(429, "team_quota_exceeded", null))).isFalse();
        assertThat(Failover.retryable(error(502, "upstream_response_too_large", null))).isFalse();
        assertThat(Failover.retryable(new IllegalStateException())).isFalse();
    }

    @Test
    void attemptsAreBoundedByMaxAttemptsAndThePool() {
        Failover failover = new Failover(new ResilienceProperties(2, Duration.ofMinutes(5), BREAKER), new SimpleMeterRegistry());
        List<Deployment> pool = List.of(deployment("a"), deployment("b"), deployment("c"));
        Failover.Attempts attempts = new Failover.Attempts();
        GatewayError unavailable = error(503, "upstream_unavailable", null);
        attempts.started(pool.get(0));
        assertThat(failover.another("r", attempts, unavailable, attempts.untried(pool))).isTrue();
        assertThat(attempts.untried(pool)).extracting(Deployment::name).containsExactly("b", "c");
        attempts.started(pool.get(1));
        assertThat(failover.another("r", attempts, unavailable, attempts.untried(pool))).as("max-attempts 2").isFalse();

        Failover.Attempts one = new Failover.Attempts();
        one.started(pool.get(0));
        assertThat(failover.another("r", one, error(400, "upstream_error", null), one.untried(pool))).as("not retryable").isFalse();
        assertThat(failover.another("r", one, unavailable, List.of())).as("nobody left").isFalse();
    }

    @Test
    void aDeadlineThatHasPassedStopsFailover() {
        Failover failover = new Failover(new ResilienceProperties(3, Duration.ZERO, BREAKER), new SimpleMeterRegistry());
        Failover.Attempts attempts = new Failover.Attempts();
        attempts.started(deployment("a"));
        assertThat(failover.another("r", attempts, error(503, "upstream_unavailable", null), List.of(deployment("b")))).isFalse();
    }

    @Test
    void whenEveryMemberIsRateLimitedTheClientIsToldTheShortestWait() {
        Failover failover = new Failover(new ResilienceProperties(3, Duration.ofMinutes(5), BREAKER), new SimpleMeterRegistry());
        Failover.Attempts attempts = new Failover.Attempts();
        GatewayError first = error(429, "upstream_rate_limited", Map.of("Retry-After", "2", "retry-after-ms", "1500"));
        GatewayError last = error(429, "upstream_rate_limited", Map.of("Retry-After", "30"));
        attempts.started(deployment("a"));
        failover.another("r", attempts, first, List.of(deployment("b")));
        attempts.started(deployment("b"));
        failover.another("r", attempts, last, List.of());
        assertThat(Failover.outcome(attempts, last)).isSameAs(first);
        GatewayError unavailable = error(503, "upstream_unavailable", null);
        assertThat(Failover.outcome(attempts, unavailable)).as("the last failure when it is not a 429").isSameAs(unavailable);
    }
}
