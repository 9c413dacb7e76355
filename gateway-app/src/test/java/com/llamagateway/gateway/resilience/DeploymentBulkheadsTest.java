package com.llamagateway.gateway.resilience;

import com.llamagateway.gateway.protocol.DialectName;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.routing.DeploymentKind;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeploymentBulkheadsTest {

    private static Deployment deployment(String name, int maxConcurrent) {
        Duration second = Duration.ofSeconds(1);
        return new Deployment(name, DeploymentKind.SERVERLESS, URI.create("http://" + name), "k", "m", DialectName.V1, null, "v",
                new Deployment.Timeouts(second, second, second), maxConcurrent, new Deployment.Capacity(400_000, 1_000), Deployment.Preference.DEFAULT, true);
    }

    private static int inFlight(DeploymentBulkheads bulkheads, Deployment d) {
        return DeploymentBulkheads.inFlight(bulkheads.of(d));
    }

    @Test
    void aStreamHoldsItsPlaceUntilItsEventsEndFailOrAreCancelled() {
        DeploymentBulkheads bulkheads = new DeploymentBulkheads(new SimpleMeterRegistry());
        Deployment east = deployment("east", 2);
        Deployment west = deployment("west", 2);

        Sinks.Many<String> first = Sinks.many().unicast().onBackpressureBuffer();
        Flux<String> completing = bulkheads.heldUntilEnd(east, Mono.just(first.asFlux())).block();
        Flux<String> cancelled = bulkheads.heldUntilEnd(east, Mono.just(Flux.<String>never())).block();
        assertThat(inFlight(bulkheads, east)).as("answered, not ended").isEqualTo(2);
        assertThat(bulkheads.offer(List.of(east, west))).as("east full: not offered").containsExactly(west);
        assertThatThrownBy(() -> bulkheads.heldUntilEnd(east, Mono.just(Flux.just("x"))).block())
                .isInstanceOfSatisfying(GatewayError.class, e -> {
                    assertThat(e.code()).isEqualTo("deployment_busy");
                    assertThat(e.status().value()).isEqualTo(503);
                    assertThat(e.headers()).doesNotContainKey("retry-after-ms");
                });

        Disposable reading = cancelled.subscribe();
        reading.dispose(); // the client left
        assertThat(inFlight(bulkheads, east)).isEqualTo(1);
        Disposable completed = completing.subscribe();
        first.tryEmitNext("a");
        first.tryEmitComplete();
        assertThat(completed.isDisposed()).isTrue();
        assertThat(inFlight(bulkheads, east)).isZero();

        bulkheads.heldUntilEnd(east, Mono.<Flux<String>>error(new IllegalStateException("refused"))).onErrorResume(e -> Mono.empty()).block();
        bulkheads.heldUntilEnd(east, Mono.<Flux<String>>never()).subscribe().dispose();
        bulkheads.held(east, Mono.just("done")).block();
        assertThat(inFlight(bulkheads, east)).as("failed, cancelled before answering, non-streamed answered").isZero();
        assertThat(bulkheads.offer(List.of(east, west))).containsExactly(east, west);
    }

    @Test
    void aStreamNobodyReadsIsReleasedWhenTheDeploymentsEventsEnd() {
        DeploymentBulkheads bulkheads = new DeploymentBulkheads(new SimpleMeterRegistry());
        Deployment east = deployment("east", 2);
        Sinks.Many<String> deployment = Sinks.many().unicast().onBackpressureBuffer();
        // as the pipeline holds a stream: the place on the deployment's own events, the answer once the first is in
        Flux<String> neverRead = bulkheads.heldUntilEnd(east, Mono.just(deployment.asFlux()))
                .flatMap(com.llamagateway.gateway.upstream.FirstEvent::awaited).toFuture().getNow(null);
        assertThat(neverRead).as("no first event yet").isNull();
        deployment.tryEmitNext("first");
        assertThat(inFlight(bulkheads, east)).isEqualTo(1);
        deployment.tryEmitError(new IllegalStateException("idle timeout")); // the upstream client's timeout ends it
        assertThat(inFlight(bulkheads, east)).as("released though nobody subscribed to the answer").isZero();
    }

    @Test
    void whenEveryMemberIsFullEveryOneIsOffered() {
        DeploymentBulkheads bulkheads = new DeploymentBulkheads(new SimpleMeterRegistry());
        Deployment only = deployment("only", 1);
        bulkheads.heldUntilEnd(only, Mono.just(Flux.never())).block();
        assertThat(bulkheads.offer(List.of(only))).containsExactly(only);
    }
}
