package com.llamagateway.gateway.e2e;

import com.llamagateway.simulator.Behaviour;
import io.github.resilience4j.bulkhead.Bulkhead;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.context.TestPropertySource;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pass-through shares the translated routes' protection of a deployment: its places in flight ({@code max-concurrent},
 * 1 here) and the cool-down its own Retry-After asks for.
 */
@TestPropertySource(properties = "gateway.resilience.bulkhead.max-concurrent=1")
class PassThroughResilienceTest extends GatewayIntegrationTest {

    private static final String SCORE_BODY = "{\"input_data\":{\"input_string\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
            + "\"parameters\":{\"max_new_tokens\":2}}}";

    @Autowired
    com.llamagateway.gateway.resilience.DeploymentBulkheads bulkheads;

    @Autowired
    com.llamagateway.gateway.routing.DeploymentCatalog catalog;

    @Autowired
    io.micrometer.core.instrument.MeterRegistry meters;

    @Test
    void aDeploymentWhosePlacesAreTakenIs503UntilOneIsFree() throws InterruptedException {
        simulator.deployment(DEPLOYMENT_V1).behaviour(Behaviour.instant().withTokenDelay(Duration.ofMillis(100)));
        CountDownLatch firstEvent = new CountDownLatch(1);
        Disposable longStream = WebClient.create(baseUrl()).post().uri("/deployments/" + DEPLOYMENT_V1 + "/v1/chat/completions")
                .header("Authorization", "Bearer " + teamKey()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"stream\":true,\"max_tokens\":500,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .retrieve().bodyToFlux(ServerSentEvent.class)
                .subscribe(event -> firstEvent.countDown());
        try {
            assertThat(firstEvent.await(10, TimeUnit.SECONDS)).as("the long stream is under way").isTrue();

            http().post().uri("/deployments/" + DEPLOYMENT_V1 + "/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue("{\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                    .exchange()
                    .expectStatus().isEqualTo(503)
                    .expectHeader().valueEquals("Retry-After", "1")
                    .expectBody().jsonPath("$.error.code").isEqualTo("deployment_busy");
            assertThat(simulator.deployment(DEPLOYMENT_V1).stats().requests()).as("the busy call never reached it").isEqualTo(1);
        } finally {
            longStream.dispose(); // the client leaves: the call ends, its place is free again
        }
        Bulkhead bulkhead = bulkheads.of(catalog.deployment(DEPLOYMENT_V1));
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (bulkhead.getMetrics().getAvailableConcurrentCalls() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(bulkhead.getMetrics().getAvailableConcurrentCalls()).as("the place given back").isEqualTo(1);
        simulator.deployment(DEPLOYMENT_V1).behaviour(Behaviour.instant());
        http().post().uri("/deployments/" + DEPLOYMENT_V1 + "/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange().expectStatus().isOk();
    }

    @Test
    void aDeploymentsOwnRetryAfterCoolsItDownForPassThroughAndTheTranslatedRoutes() {
        simulator.deployment(DEPLOYMENT_SCORE).faults().failNext(429, Duration.ofSeconds(30), 1);

        // the deployment's own 429 reaches the caller untouched, with its wait
        http().post().uri("/deployments/" + DEPLOYMENT_SCORE + "/score").contentType(MediaType.APPLICATION_JSON).bodyValue(SCORE_BODY)
                .exchange()
                .expectStatus().isEqualTo(429)
                .expectHeader().valueEquals("retry-after-ms", "30000");
        // the call ends (and the cool-down starts) as its answer's last byte goes out: wait for it, not for the clock
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (coolDowns() == 0 && System.nanoTime() < deadline) {
            sleep(20);
        }
        assertThat(coolDowns()).isEqualTo(1);
        // and keeps every caller away from it while it waits: pass-through and the translated route alike
        http().post().uri("/deployments/" + DEPLOYMENT_SCORE + "/score").contentType(MediaType.APPLICATION_JSON).bodyValue(SCORE_BODY)
                .exchange()
                .expectStatus().isEqualTo(429)
                .expectHeader().exists("retry-after-ms")
                .expectBody().jsonPath("$.error.code").isEqualTo("upstream_rate_limited");
        http().post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"" + MODEL_SCORE + "\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange()
                .expectStatus().isEqualTo(429)
                .expectBody().jsonPath("$.error.code").isEqualTo("upstream_rate_limited");
        assertThat(simulator.deployment(DEPLOYMENT_SCORE).stats().requests()).as("only the first call reached it").isEqualTo(1);
    }

    private double coolDowns() {
        var counter = meters.find("gateway.deployment.cool-downs").tag("deployment", DEPLOYMENT_SCORE).counter();
        return counter == null ? 0 : counter.count();
    }

}
