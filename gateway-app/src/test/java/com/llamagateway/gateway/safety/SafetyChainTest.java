package com.llamagateway.gateway.safety;

import com.llamagateway.gateway.config.GatewayProperties.FailureMode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A chain's verdicts, its timeouts and failure modes, and the meters it keeps per filter, direction and verdict. */
class SafetyChainTest {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final SafetyChain.Member blocklist = new SafetyChain.Member("words",
            new BlocklistFilter("blocked_term", List.of("forbidden fruit"), List.of(), 1_000_000_000L), Duration.ofSeconds(1), FailureMode.CLOSED);

    @Test
    void aChainOfOneFilterTimesEachVerdictUnderItsTags() {
        SafetyChain chain = new SafetyChain(List.of(blocklist), meters);
        assertThat(chain.screen(input("hello")).block()).isEqualTo(Outcome.PASS);
        assertThat(chain.screen(input("hello again")).block()).isEqualTo(Outcome.PASS);
        Outcome blocked = chain.screen(input("the forbidden fruit")).block();
        assertThat(blocked.block()).isEqualTo(new Finding("words", "blocked_term", null, "blocked term 1"));
        assertThat(chain.screen(output("the forbidden fruit")).block().blocked()).isTrue();

        assertThat(screenings("words", "input", "allow")).isEqualTo(2);
        assertThat(screenings("words", "input", "block")).isEqualTo(1);
        assertThat(screenings("words", "output", "block")).isEqualTo(1);
        assertThat(meters.find("gateway.safety.screenings").timers()).hasSize(3);
        assertThat(meters.get("gateway.safety.blocks").tags("filter", "words", "direction", "input", "category", "blocked_term")
                .counter().count()).isEqualTo(1);
    }

    @Test
    void aFilterWithoutAVerdictInItsTimeFailsOpenOrClosedAsConfigured() {
        SafetyFilter silent = screening -> Mono.never();
        SafetyChain open = new SafetyChain(List.of(new SafetyChain.Member("silent", silent, Duration.ofMillis(50), FailureMode.OPEN), blocklist), meters);
        assertThat(open.screen(input("hello")).block(Duration.ofSeconds(5))).isEqualTo(Outcome.PASS);
        assertThat(open.screen(input("the forbidden fruit")).block(Duration.ofSeconds(5)).block().filter()).isEqualTo("words");

        SafetyChain closed = new SafetyChain(List.of(new SafetyChain.Member("silent", silent, Duration.ofMillis(50), FailureMode.CLOSED)), meters);
        Finding refusal = closed.screen(input("hello")).block(Duration.ofSeconds(5)).block();
        assertThat(refusal.unavailable()).isTrue();
        assertThat(refusal.reason()).isEqualTo("no verdict within 50 ms");

        assertThat(screenings("silent", "input", "failure")).isEqualTo(3);
        assertThat(screenings("words", "input", "allow")).isEqualTo(1);
        assertThat(meters.get("gateway.safety.failures").tags("filter", "silent", "outcome", "passed").counter().count()).isEqualTo(2);
        assertThat(meters.get("gateway.safety.failures").tags("filter", "silent", "outcome", "refused").counter().count()).isEqualTo(1);
    }

    @Test
    void aFilterThatJudgesOnTheCallingThreadIsHeldToItsTimeoutToo() {
        SafetyFilter slow = screening -> Mono.fromCallable(() -> {
            Thread.sleep(80);
            return Verdict.allow();
        });
        SafetyChain chain = new SafetyChain(List.of(new SafetyChain.Member("slow", slow, Duration.ofMillis(20), FailureMode.CLOSED), blocklist), meters);
        Finding refusal = chain.screen(input("hello")).block(Duration.ofSeconds(5)).block();
        assertThat(refusal.filter()).isEqualTo("slow");
        assertThat(refusal.reason()).isEqualTo("no verdict within 20 ms");
        assertThat(screenings("slow", "input", "failure")).isEqualTo(1);
    }

    @Test
    void aBlocklistPatternThatOverrunsItsTimeIsAFailureOfTheFilter() {
        SafetyChain chain = new SafetyChain(List.of(new SafetyChain.Member("slow",
                new BlocklistFilter("blocked_term", List.of(), List.of("(.*a){14}c"), 50_000_000L), Duration.ofMillis(50), FailureMode.CLOSED)), meters);
        // years of backtracking unbounded: on any machine only the filter's own clock ends it
        Finding refusal = chain.screen(input("a".repeat(40) + "xc")).block(Duration.ofSeconds(5)).block();
        assertThat(refusal.unavailable()).isTrue();
        assertThat(refusal.reason()).isEqualTo("a blocklist pattern took longer than its time");
        assertThat(screenings("slow", "input", "failure")).isEqualTo(1);
    }

    private long screenings(String filter, String direction, String verdict) {
        return meters.get("gateway.safety.screenings").tags("filter", filter, "direction", direction, "verdict", verdict).timer().count();
    }

    private static Screening input(String text) {
        return Screening.input("req-1", "team-1", "m", List.of(new Screening.Message("user", text)));
    }

    private static Screening output(String text) {
        return input("prompt").judging("", text);
    }
}
