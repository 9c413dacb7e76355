package com.llamagateway.gateway.e2e;

import com.llamagateway.simulator.Behaviour;
import com.llamagateway.simulator.Stats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Streams are relayed event by event, cancelled with their client, and end properly when the deployment fails. */
class StreamingBehaviourTest extends GatewayIntegrationTest {

    private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE = new ParameterizedTypeReference<>() {
    };
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Flux<ServerSentEvent<String>> stream(String path, String model, int maxTokens) {
        String body = "{\"model\":\"" + model + "\",\"stream\":true,\"max_tokens\":" + maxTokens
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me about llamas.\"}]}";
        return WebClient.create(baseUrl()).post().uri(path).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                .header("Authorization", "Bearer " + teamKey())
                .retrieve().bodyToFlux(SSE);
    }

    @ParameterizedTest(name = "{0} to {1}")
    @CsvSource({"/v1/chat/completions, llama31-70b-serverless, Meta-Llama-3.1-70B-Instruct",
            "/chat/completions, llama31-8b-serverless, Meta-Llama-3.1-8B-Instruct",
            "/v1/chat/completions, llama31-8b-serverless, Meta-Llama-3.1-8B-Instruct"})
    void eventsReachTheClientAsTheDeploymentProducesThem(String path, String deployment, String model) {
        stream(path, model, 2).blockLast(Duration.ofSeconds(20)); // warm-up: connections and JIT are not what is measured
        simulator.deployment(deployment).behaviour(Behaviour.instant().withTokenDelay(Duration.ofMillis(150)));
        assertArrivesEventByEvent("Stream " + path + " → " + deployment, stream(path, model, 12));
    }

    @Test
    void aClientThatGoesAwayCancelsTheUpstreamRequest() throws InterruptedException {
        simulator.deployment(DEPLOYMENT_V1).behaviour(Behaviour.instant().withTokenDelay(Duration.ofMillis(200)));
        List<ServerSentEvent<String>> received = stream("/v1/chat/completions", MODEL_V1, 50).take(3).collectList()
                .block(Duration.ofSeconds(10));
        assertThat(received).hasSize(3);

        Stats stats = awaitCancelledStream(DEPLOYMENT_V1);
        assertThat(stats.streamsCancelled()).isEqualTo(1);
        assertThat(stats.streamsCompleted()).isZero();
        long streamedAtCancel = stats.tokensStreamed();
        System.out.println("Client left after 3 events: the deployment streamed " + streamedAtCancel + " of 52 events, then was cancelled");
        Thread.sleep(600);
        assertThat(stats.tokensStreamed()).as("the deployment stopped producing").isEqualTo(streamedAtCancel).isLessThan(10);
    }

    @ParameterizedTest
    @CsvSource({"/v1/chat/completions, message", "/chat/completions, status"})
    void aConnectionDroppedMidStreamEndsTheStreamWithAnErrorEvent(String path, String dialectField) {
        simulator.deployment(DEPLOYMENT_V1).faults().dropNextStreamAfter(4, 1);
        List<String> data = stream(path, MODEL_V1, 20).map(ServerSentEvent::data).collectList().block(Duration.ofSeconds(10));

        assertThat(data).hasSize(5).doesNotContain("[DONE]");
        JsonNode error = JSON.readTree(data.get(4)).get("error");
        assertThat(error.get("code").asString()).isEqualTo("upstream_error");
        assertThat(error.has(dialectField)).isTrue();
        assertThat(JSON.readTree(data.get(3)).path("choices").get(0).path("delta").path("content").asString()).isNotEmpty();
    }

    @Test
    void aDeploymentThatFallsSilentMidStreamEndsTheStreamWithATimeout() throws InterruptedException {
        simulator.deployment(DEPLOYMENT_V1).behaviour(Behaviour.instant().withTokenDelay(Duration.ofSeconds(5)));
        List<String> data = stream("/v1/chat/completions", MODEL_V1, 3).map(ServerSentEvent::data).collectList().block(Duration.ofSeconds(15));

        assertThat(data).hasSize(2); // the role chunk, then the error after 3 s of silence
        assertThat(JSON.readTree(data.get(1)).get("error").get("code").asString()).isEqualTo("upstream_timeout");
        assertThat(awaitCancelledStream(DEPLOYMENT_V1).streamsCancelled()).as("the silent request is given up").isEqualTo(1);
    }

    @Test
    void aDeploymentThatNeverAnswersAStreamGets504() {
        simulator.deployment(DEPLOYMENT_AZURE).faults().hangNext(1);
        http().post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"" + MODEL_AZURE + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .exchange()
                .expectStatus().isEqualTo(504)
                .expectBody().jsonPath("$.error.code").isEqualTo("upstream_timeout");
    }
}
