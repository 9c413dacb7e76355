package com.llamagateway.gateway.e2e;

import com.llamagateway.gateway.support.TestTeams;
import com.llamagateway.gateway.team.TeamService;
import com.llamagateway.simulator.LlamaSimulator;
import com.llamagateway.simulator.Stats;
import org.junit.jupiter.api.AfterEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A running gateway on a random port in its embedded default: simulated deployments in the same process, reached
 * over real HTTP. All subclasses share one application context.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"gateway.resilience.first-byte-timeout=3s", "gateway.resilience.stream-idle-timeout=3s", "gateway.request.max-body-size=256KB",
                "spring.r2dbc.url=r2dbc:h2:mem:///gateway-it?options=DB_CLOSE_DELAY=-1",
                "spring.flyway.url=jdbc:h2:mem:gateway-it;DB_CLOSE_DELAY=-1",
                "gateway.admin.token=" + GatewayIntegrationTest.ADMIN_TOKEN,
                "gateway.data-dir=target/test-data",
                // keys' last use is written when a test flushes it (AdminApiTest), never by the timer between two of its steps
                "gateway.keys.last-used-flush-interval=6h"})
@org.junit.jupiter.api.extension.ExtendWith(com.llamagateway.gateway.support.ThreadDumpOnFailure.class)
abstract class GatewayIntegrationTest {

    static final String ADMIN_TOKEN = "test-admin-token-0123456789abcdef";
    /** A key of a team that may use every model, made once for all tests of the shared context. */
    private static String teamKey;

    static final String MODEL_V1 = "Meta-Llama-3.1-70B-Instruct";      // serverless, spoken to in v1
    static final String MODEL_AZURE = "Meta-Llama-3.1-8B-Instruct";    // serverless, spoken to in azure-inference
    static final String MODEL_SCORE = "Meta-Llama-3-8B-Instruct";      // managed compute, spoken to in score
    static final String DEPLOYMENT_V1 = "llama31-70b-serverless";
    static final String DEPLOYMENT_AZURE = "llama31-8b-serverless";
    static final String DEPLOYMENT_SCORE = "llama3-8b-managed";

    @LocalServerPort
    int port;

    @Autowired
    LlamaSimulator simulator;

    @Autowired
    TeamService teams;

    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    synchronized String teamKey() {
        if (teamKey == null) {
            teamKey = TestTeams.newKey(teams);
        }
        return teamKey;
    }

    /** A client that presents the team key. */
    WebTestClient http() {
        return anonymousHttp().mutate().defaultHeader("Authorization", "Bearer " + teamKey()).build();
    }

    WebTestClient anonymousHttp() {
        return WebTestClient.bindToServer().baseUrl(baseUrl()).responseTimeout(Duration.ofSeconds(20)).build();
    }

    /** Waits up to 5 s for the deployment to see a stream cancelled; its stats then. */
    Stats awaitCancelledStream(String deployment) throws InterruptedException {
        Stats stats = simulator.deployment(deployment).stats();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (stats.streamsCancelled() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return stats;
    }

    /**
     * Reads a stream whose deployment sends a role chunk, 12 content chunks 150 ms apart, a finishing chunk and
     * {@code [DONE]}, and checks that they reached the client as they were produced, not in one burst at the end.
     */
    static void assertArrivesEventByEvent(String what, Flux<ServerSentEvent<String>> stream) {
        long start = System.nanoTime();
        List<Long> arrivalsMillis = new ArrayList<>();
        List<String> data = new ArrayList<>();
        stream.doOnNext(event -> {
            arrivalsMillis.add((System.nanoTime() - start) / 1_000_000);
            data.add(event.data());
        }).blockLast(Duration.ofSeconds(20));

        assertThat(data).hasSize(15).last().isEqualTo("[DONE]");
        long first = arrivalsMillis.get(0);
        long last = arrivalsMillis.get(arrivalsMillis.size() - 1);
        System.out.println(what + ": event arrivals (ms) " + arrivalsMillis);
        assertThat(first).as("first event after %s ms", first).isLessThan(1000);
        assertThat(last - first).as("events spread over %s ms", last - first).isGreaterThan(1500);
        // the content chunks are spread out too, not delivered in one burst at the end
        assertThat(arrivalsMillis.get(7) - first).isGreaterThan(700);
    }

    /** Thread.sleep for a test's polling loop; an interruption fails the test. */
    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @AfterEach
    void resetSimulator() {
        simulator.reset();
    }
}
