package com.llamagateway.gateway.e2e;

import com.llamagateway.gateway.team.TeamService;
import com.llamagateway.gateway.usage.UsageLedger;
import com.llamagateway.gateway.usage.UsageQuery;
import com.llamagateway.gateway.usage.UsageStore;
import com.llamagateway.simulator.Behaviour;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** How a request that was admitted but not served whole ends in the usage ledger: upstream error, cancelled. */
class UsageOutcomesTest extends GatewayIntegrationTest {

    private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE = new ParameterizedTypeReference<>() {
    };

    @Autowired
    UsageLedger ledger;

    @Autowired
    UsageStore usage;

    private record Team(String id, String key) {
    }

    private Team newTeam() {
        return teams.createTeam("test", "outcomes-" + UUID.randomUUID(), null, null)
                .flatMap(team -> teams.createKey("test", team.id(), "k", null).map(key -> new Team(team.id(), key.secret())))
                .block(Duration.ofSeconds(10));
    }

    private UsageQuery.Row sums(Team team) {
        ledger.flush().block(Duration.ofSeconds(10));
        List<UsageQuery.Row> rows = usage.sums(new UsageQuery(team.id(), null, null, null, null, null, List.of(UsageQuery.GroupBy.DEPLOYMENT)))
                .collectList().block(Duration.ofSeconds(10));
        return rows.isEmpty() ? null : rows.get(0);
    }

    private WebClient client(Team team) {
        return WebClient.builder().baseUrl(baseUrl()).defaultHeader("Authorization", "Bearer " + team.key()).build();
    }

    @Test
    void aDeploymentFailureIsAnUpstreamErrorWithNoTokens() {
        Team team = newTeam();
        simulator.deployment(DEPLOYMENT_V1).faults().failNext(500, 1);

        int status = client(team).post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"" + MODEL_V1 + "\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchangeToMono(response -> response.releaseBody().thenReturn(response.statusCode().value())).block(Duration.ofSeconds(20));

        assertThat(status).isEqualTo(502);
        UsageQuery.Row row = sums(team);
        assertThat(row.deployment()).isEqualTo(DEPLOYMENT_V1);
        assertThat(row.requests()).isEqualTo(1);
        assertThat(row.upstreamErrors()).isEqualTo(1);
        assertThat(row.totalTokens()).as("the deployment served nothing").isZero();
        assertThat(row.estimatedPromptTokens()).isPositive();
    }

    @Test
    void aStreamTheClientLeavesIsCancelledWithWhatWasStreamed() throws InterruptedException {
        Team team = newTeam();
        simulator.deployment(DEPLOYMENT_V1).behaviour(Behaviour.instant().withTokenDelay(Duration.ofMillis(200)));

        List<ServerSentEvent<String>> received = client(team).post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"" + MODEL_V1 + "\",\"stream\":true,\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .retrieve().bodyToFlux(SSE).take(3).collectList().block(Duration.ofSeconds(10));
        assertThat(received).hasSize(3);

        UsageQuery.Row row = sums(team);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while ((row == null || row.cancelled() == 0) && System.nanoTime() < deadline) {
            Thread.sleep(50); // the row is recorded when the cancellation reaches the gateway
            row = sums(team);
        }
        assertThat(row.requests()).isEqualTo(1);
        assertThat(row.cancelled()).isEqualTo(1);
        assertThat(row.promptTokens()).isPositive();
        assertThat(row.completionTokens()).as("what was streamed before the client left").isBetween(1L, 49L);
    }
}
