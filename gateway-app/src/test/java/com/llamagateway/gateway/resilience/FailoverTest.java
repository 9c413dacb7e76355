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
    private static final ResilienceProperties.CoolDown COOL_DOWN = new ResilienceProperties.CoolDown(Duration.ofMinutes(5), Duration.ofSeconds(10));

    private static Failover failover(int maxAttempts, Duration deadline) {
        return new Failover(new ResilienceProperties(maxAttempts, deadline, Duration.ofSeconds(120), Duration.ofSeconds(30), BREAKER, COOL_DOWN,
                new ResilienceProperties.Bulkhead(1000)), new SimpleMeterRegistry());
    }

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
        Failover failover = failover(2, Duration.ofMinutes(5));
        List<Deployment> pool = List.of(deployment("a"), deployment("b"), deployment("c"));
        Failover.Attempts attempts = new Failover.Attempts();
        GatewayError unavailable = error(503, "upstream_unavailable", null);
        attempts.started(pool.get(0));
        Failover.Next next = failover.next("r", attempts, unavailable, pool);
        assertThat(next.members()).extracting(Deployment::name).containsExactly("b", "c");
        assertThat(next.after()).isNull();
        attempts.started(pool.get(1));
        assertThat(failover.next("r", attempts, unavailable, pool)).as("max-attempts 2").isNull();

        Failover.Attempts one = new Failover.Attempts();
        one.started(pool.get(0));
        assertThat(failover.next("r", one, error(400, "upstream_error", null), pool)).as("not retryable").isNull();
        assertThat(failover.next("r", one, unavailable, List.of(pool.get(0)))).as("nobody left").isNull();
    }

    @Test
    void aDeadlineThatHasPassedStopsFailover() {
        Failover failover = failover(3, Duration.ZERO);
        Failover.Attempts attempts = new Failover.Attempts();
        attempts.started(deployment("a"));
        assertThat(failover.next("r", attempts, error(503, "upstream_unavailable", null), List.of(deployment("a"), deployment("b")))).isNull();
    }

    @Test
    void whenEveryMemberIsRateLimitedTheClientIsToldTheShortestWait() {
        Failover failover = failover(3, Duration.ofMinutes(5));
        Failover.Attempts attempts = new Failover.Attempts();
        GatewayError first = error(429, "upstream_rate_limited", Map.of("Retry-After", "2", "retry-after-ms", "1500"));
        GatewayError last = error(429, "upstream_rate_limited", Map.of("Retry-After", "30"));
        List<Deployment> pool = List.of(deployment("a"), deployment("b"));
        attempts.started(pool.get(0));
        assertThat(failover.next("r", attempts, first, pool)).isNotNull();
        attempts.started(pool.get(1));
        assertThat(failover.next("r", attempts, last, pool)).isNull();
        assertThat(Failover.outcome(attempts, last)).isSameAs(first);
        GatewayError unavailable = error(503, "upstream_unavailable", null);
        assertThat(Failover.outcome(attempts, unavailable)).as("the last failure when it is not a 429").isSameAs(unavailable);
    }

    @Test
    void theOneMemberOfAPoolIsRetriedOnceAfterAShortWaitItAskedFor() {
        Failover failover = failover(3, Duration.ofMinutes(5));
        List<Deployment> pool = List.of(deployment("a"));
        Failover.Attempts attempts = new Failover.Attempts();
        attempts.started(pool.get(0));
        Failover.Next next = failover.next("r", attempts, error(429, "upstream_rate_limited", Map.of("Retry-After", "3", "retry-after-ms", "2500")), pool);
        assertThat(next.members()).containsExactlyElementsOf(pool);
        assertThat(next.after()).as("retry-after-ms wins over retry-after").isEqualTo(Duration.ofMillis(2500));
        attempts.started(pool.get(0));
        assertThat(failover.next("r", attempts, error(429, "upstream_rate_limited", Map.of("Retry-After", "1")), pool)).as("once").isNull();

        Failover.Attempts more = new Failover.Attempts();
        more.started(pool.get(0));
        assertThat(failover.next("r", more, error(503, "upstream_unavailable", Map.of("Retry-After", "11")), pool))
                .as("longer than retry-within (10 s)").isNull();
        Failover.Attempts none = new Failover.Attempts();
        none.started(pool.get(0));
        assertThat(failover.next("r", none, error(503, "upstream_unavailable", null), pool)).as("no wait asked for").isNull();
        Failover.Attempts late = new Failover.Attempts();
        late.started(pool.get(0));
        assertThat(failover(3, Duration.ofSeconds(2)).next("r", late, error(429, "upstream_rate_limited", Map.of("Retry-After", "2")), pool))
                .as("would end after the deadline").isNull();
        Failover.Attempts twoMembers = new Failover.Attempts();
        List<Deployment> two = List.of(deployment("a"), deployment("b"));
        twoMembers.started(two.get(0));
        twoMembers.started(two.get(1));
        assertThat(failover(3, Duration.ofMinutes(5)).next("r", twoMembers, error(429, "upstream_rate_limited", Map.of("Retry-After", "1")), two))
                .as("a pool of two fails over instead").isNull();
    }

    @Test
    void theWaitAskedForIsReadFromRetryAfterMsThenRetryAfterOn429And503Only() {
        assertThat(CoolDowns.askedMillis(error(429, "upstream_rate_limited", Map.of("Retry-After", "30")))).isEqualTo(30_000);
        assertThat(CoolDowns.askedMillis(error(503, "upstream_unavailable", Map.of("Retry-After", "30", "retry-after-ms", "750")))).isEqualTo(750);
        assertThat(CoolDowns.askedMillis(error(503, "upstream_unavailable", Map.of()))).isEqualTo(-1);
        assertThat(CoolDowns.askedMillis(error(502, "upstream_error", Map.of("Retry-After", "30")))).isEqualTo(-1);
        assertThat(CoolDowns.askedMillis(new IllegalStateException())).isEqualTo(-1);
    }

    @Test
    void whenEveryMemberIsEjectedTheOneWhoseEjectionEndsFirstIsOfferedFirst() {
        DeploymentBreakers breakers = new DeploymentBreakers(BREAKER, new SimpleMeterRegistry());
        Deployment east = deployment("east");
        Deployment west = deployment("west");
        Deployment north = deployment("north");
        breakers.of(east).transitionToOpenState();          // ejected 30 s
        breakers.of(east).transitionToHalfOpenState();
        breakers.of(east).transitionToOpenState();          // its probe failed: 60 s
        breakers.of(west).transitionToOpenState();          // 30 s, from now
        assertThat(breakers.offer(List.of(east, west, north))).as("north is not ejected").containsExactly(north);
        breakers.of(north).transitionToOpenState();         // 30 s, after west's
        assertThat(breakers.offer(List.of(east, west, north))).extracting(Deployment::name).containsExactly("west", "north", "east");
        breakers.of(east).transitionToHalfOpenState();
        assertThat(breakers.offer(List.of(east, west, north))).as("east's ejection is over: its probe is due").containsExactly(east);
    }
}
