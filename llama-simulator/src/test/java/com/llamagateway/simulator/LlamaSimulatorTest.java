package com.llamagateway.simulator;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.reactive.function.client.WebClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/** The simulator over real HTTP, against the documented wire formats. */
class LlamaSimulatorTest {

    private static final String KEY = "test-key";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static LlamaSimulator simulator;

    @BeforeAll
    static void start() {
        LlamaSimulator.Builder builder = LlamaSimulator.builder();
        StandardDeployments.all(KEY).forEach(builder::deployment);
        StandardDeployments.safety(KEY).forEach(builder::deployment);
        simulator = builder.start(0);
    }

    @AfterAll
    static void stop() {
        simulator.close();
    }

    @AfterEach
    void reset() {
        simulator.reset();
    }

    private record Answer(int status, String body, org.springframework.http.HttpHeaders headers) {
        JsonNode json() {
            return JSON.readTree(body);
        }
    }

    private Answer post(String deployment, String path, String body, Consumer<org.springframework.http.HttpHeaders> headers) {
        ResponseEntity<String> response = WebClient.create(simulator.baseUrl(deployment)).post().uri(path)
                .contentType(MediaType.APPLICATION_JSON).headers(headers).bodyValue(body)
                .exchangeToMono(r -> r.toEntity(String.class)).block(Duration.ofSeconds(10));
        return new Answer(response.getStatusCode().value(), response.getBody() == null ? "" : response.getBody(), response.getHeaders());
    }

    private Answer post(String deployment, String path, String body) {
        return post(deployment, path, body, h -> h.setBearerAuth(KEY));
    }

    private static final String CHAT = "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":5}";

    @Test
    void llamaChatApiAnswersWithUsageAndFinishReason() {
        JsonNode answer = post(StandardDeployments.SERVERLESS_70B, "/v1/chat/completions", CHAT).json();
        assertThat(answer.get("object").asString()).isEqualTo("chat.completion");
        assertThat(answer.at("/choices/0/message/content").asString()).isEqualTo("The llama is a social");
        assertThat(answer.at("/choices/0/finish_reason").asString()).isEqualTo("length");
        assertThat(answer.at("/usage/completion_tokens").asInt()).isEqualTo(5);
        // <|begin_of_text|> + assistant header (5) + 2 messages × 5 template tokens + "Be brief." (3) + "Hi" (1)
        assertThat(answer.at("/usage/prompt_tokens").asInt()).isEqualTo(5 + 10 + 3 + 1);
    }

    @Test
    void llamaApiDefaultsToSixteenTokensAndHonoursStopSequences() {
        JsonNode answer = post(StandardDeployments.SERVERLESS_70B, "/v1/completions", "{\"prompt\":\"Llamas\"}").json();
        assertThat(answer.at("/usage/completion_tokens").asInt()).isEqualTo(16);
        JsonNode stopped = post(StandardDeployments.SERVERLESS_70B, "/v1/completions", "{\"prompt\":\"Llamas\",\"stop\":[\" social\"]}").json();
        assertThat(stopped.at("/choices/0/text").asString()).isEqualTo("The llama is a");
        assertThat(stopped.at("/choices/0/finish_reason").asString()).isEqualTo("stop");
    }

    @Test
    void keysAreChecked() {
        assertThat(post(StandardDeployments.SERVERLESS_70B, "/v1/chat/completions", CHAT, h -> h.setBearerAuth("wrong")).status()).isEqualTo(401);
        assertThat(post(StandardDeployments.SERVERLESS_70B, "/v1/chat/completions", CHAT, h -> { }).status()).isEqualTo(401);
        assertThat(post(StandardDeployments.SERVERLESS_70B, "/chat/completions?api-version=2024-05-01-preview", CHAT,
                h -> h.set("api-key", KEY)).status()).isEqualTo(200);
    }

    @Test
    void modelInferenceApiRequiresApiVersionAndGovernsExtraParameters() {
        String withN = CHAT.replace("\"max_tokens\":5", "\"max_tokens\":5,\"n\":2");
        String path = "/chat/completions?api-version=2024-05-01-preview";
        assertThat(post(StandardDeployments.SERVERLESS_8B, "/chat/completions", CHAT).status()).isEqualTo(400);
        Answer refused = post(StandardDeployments.SERVERLESS_8B, path, withN);
        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.json().at("/error/message").asString()).contains("Extra parameters [n]");
        assertThat(refused.json().at("/error/status").asInt()).isEqualTo(422);
        Answer dropped = post(StandardDeployments.SERVERLESS_8B, path, withN, h -> {
            h.setBearerAuth(KEY);
            h.set("extra-parameters", "drop");
        });
        assertThat(dropped.json().get("choices")).hasSize(1);
        Answer passed = post(StandardDeployments.SERVERLESS_8B, path, withN, h -> {
            h.setBearerAuth(KEY);
            h.set("extra-parameters", "pass-through");
        });
        assertThat(passed.json().get("choices")).hasSize(2);
    }

    private List<JsonNode> events(String body) {
        List<JsonNode> events = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
                events.add(JSON.readTree(line.substring(6)));
            }
        }
        assertThat(body.trim()).endsWith("data: [DONE]");
        return events;
    }

    @Test
    void streamsCarryUsageWhereEachApiPutsIt() {
        String stream = CHAT.replace("\"max_tokens\":5", "\"max_tokens\":3,\"stream\":true");
        List<JsonNode> azure = events(post(StandardDeployments.SERVERLESS_8B, "/chat/completions?api-version=2024-05-01-preview", stream).body());
        assertThat(azure).hasSize(5); // role, 3 tokens, finish
        assertThat(azure.get(4).at("/choices/0/finish_reason").asString()).isEqualTo("length");
        assertThat(azure.get(4).at("/usage/completion_tokens").asInt()).isEqualTo(3);

        List<JsonNode> llama = events(post(StandardDeployments.SERVERLESS_70B, "/v1/chat/completions",
                stream.replace("\"stream\":true", "\"stream\":true,\"stream_options\":{\"include_usage\":true}")).body());
        assertThat(llama).hasSize(6);
        assertThat(llama.get(5).get("choices")).isEmpty();
        assertThat(llama.get(5).at("/usage/total_tokens").asInt()).isGreaterThan(3);
        assertThat(llama.subList(0, 5)).allSatisfy(e -> assertThat(e.has("usage")).isFalse());
    }

    @Test
    void managedComputeScoresChatAndText() {
        String chat = "{\"input_data\":{\"input_string\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"parameters\":{\"max_new_tokens\":4}}}";
        Answer answer = post(StandardDeployments.MANAGED_8B, "/score", chat, h -> {
            h.setBearerAuth(KEY);
            h.set("azureml-model-deployment", StandardDeployments.MANAGED_8B_DEPLOYMENT);
        });
        assertThat(answer.json().get("output").asString()).isEqualTo("The llama is a");
        String text = "{\"input_data\":{\"input_string\":[\"Hello\",\"My name is John\"],\"parameters\":{\"max_new_tokens\":2}}}";
        JsonNode records = post(StandardDeployments.MANAGED_8B, "/score", text).json();
        assertThat(records).hasSize(2);
        assertThat(records.get(1).get("0").asString()).isEqualTo("The llama");
        assertThat(post(StandardDeployments.MANAGED_8B, "/score", chat, h -> {
            h.setBearerAuth(KEY);
            h.set("azureml-model-deployment", "llama3-8b-green");
        }).status()).isEqualTo(404);
        assertThat(post(StandardDeployments.MANAGED_8B, "/score", "{\"inputs\":\"Hi\"}").status()).isEqualTo(400);
    }

    @Test
    void ownLimitsAnswer429WithRetryAfter() {
        simulator.deployment(StandardDeployments.SERVERLESS_70B).limits(2, 0);
        assertThat(post(StandardDeployments.SERVERLESS_70B, "/v1/chat/completions", CHAT).status()).isEqualTo(200);
        assertThat(post(StandardDeployments.SERVERLESS_70B, "/v1/chat/completions", CHAT).status()).isEqualTo(200);
        Answer limited = post(StandardDeployments.SERVERLESS_70B, "/v1/chat/completions", CHAT);
        assertThat(limited.status()).isEqualTo(429);
        assertThat(Integer.parseInt(limited.headers().getFirst("retry-after"))).isBetween(1, 60);
    }

    @Test
    void faultsApplyToTheNextRequestsOnly() {
        simulator.deployment(StandardDeployments.SERVERLESS_70B).faults().failNext(503, 1);
        assertThat(post(StandardDeployments.SERVERLESS_70B, "/v1/chat/completions", CHAT).status()).isEqualTo(503);
        assertThat(post(StandardDeployments.SERVERLESS_70B, "/v1/chat/completions", CHAT).status()).isEqualTo(200);
    }

    @Test
    void theControlApiSteersADeployment() {
        WebClient control = WebClient.create("http://127.0.0.1:" + simulator.port() + "/_simulator/" + StandardDeployments.SERVERLESS_70B);
        control.put().uri("/behaviour").contentType(MediaType.APPLICATION_JSON).bodyValue("{\"reply\":\"Hola amigo\"}")
                .retrieve().toBodilessEntity().block(Duration.ofSeconds(5));
        control.post().uri("/faults").contentType(MediaType.APPLICATION_JSON).bodyValue("{\"type\":\"status\",\"status\":500}")
                .retrieve().toBodilessEntity().block(Duration.ofSeconds(5));
        assertThat(post(StandardDeployments.SERVERLESS_70B, "/v1/chat/completions", CHAT).status()).isEqualTo(500);
        assertThat(post(StandardDeployments.SERVERLESS_70B, "/v1/chat/completions", CHAT).json().at("/choices/0/message/content").asString())
                .isEqualTo("Hola amigo");
        JsonNode stats = JSON.readTree(control.get().uri("/stats").retrieve().bodyToMono(String.class).block(Duration.ofSeconds(5)));
        assertThat(stats.get("requests").asInt()).isEqualTo(2);
        assertThat(control.post().uri("/faults").contentType(MediaType.APPLICATION_JSON).bodyValue("{\"type\":\"boom\"}")
                .exchangeToMono(r -> reactor.core.publisher.Mono.just(r.statusCode())).block(Duration.ofSeconds(5))).isEqualTo(HttpStatus.BAD_REQUEST);
    }

    @Test
    void contentSafetyAnalyzesTextInTheDocumentedShapes() {
        String path = "/contentsafety/text:analyze?api-version=2024-09-01";
        Consumer<org.springframework.http.HttpHeaders> key = h -> h.set("Ocp-Apim-Subscription-Key", KEY);
        Answer analysed = post(StandardDeployments.CONTENT_SAFETY, path, "{\"text\":\"They planned a massacre and a punch.\"}", key);
        assertThat(analysed.status()).isEqualTo(200);
        assertThat(analysed.json().toString()).isEqualTo("{\"blocklistsMatch\":[],\"categoriesAnalysis\":[{\"category\":\"Hate\",\"severity\":0},"
                + "{\"category\":\"SelfHarm\",\"severity\":0},{\"category\":\"Sexual\",\"severity\":0},{\"category\":\"Violence\",\"severity\":6}]}");
        simulator.deployment(StandardDeployments.CONTENT_SAFETY).flag("Hate", 3, "rude");
        Answer eight = post(StandardDeployments.CONTENT_SAFETY, path,
                "{\"text\":\"so rude\",\"categories\":[\"Hate\"],\"outputType\":\"EightSeverityLevels\"}", key);
        assertThat(eight.json().get("categoriesAnalysis").toString()).isEqualTo("[{\"category\":\"Hate\",\"severity\":3}]");
        Answer four = post(StandardDeployments.CONTENT_SAFETY, path, "{\"text\":\"so rude\",\"categories\":[\"Hate\"]}", key);
        assertThat(four.json().get("categoriesAnalysis").get(0).get("severity").asInt()).as("trimmed to 0, 2, 4, 6").isEqualTo(2);

        Answer tooLong = post(StandardDeployments.CONTENT_SAFETY, path, "{\"text\":\"" + "a".repeat(10_001) + "\"}", key);
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.json().get("error").get("code").asString()).isEqualTo("InvalidRequestBody");
        assertThat(tooLong.headers().getFirst("x-ms-error-code")).isEqualTo("InvalidRequestBody");
        assertThat(post(StandardDeployments.CONTENT_SAFETY, path, "{\"text\":\"x\"}", h -> h.set("Ocp-Apim-Subscription-Key", "wrong")).status())
                .isEqualTo(401);
        assertThat(post(StandardDeployments.CONTENT_SAFETY, "/contentsafety/text:analyze", "{\"text\":\"x\"}", key).status())
                .as("no api-version").isEqualTo(404);
    }

    @Test
    void llamaGuardAnswersItsOwnPromptFormatOnly() {
        String prompt = "<|begin_of_text|><|start_header_id|>user<|end_header_id|> Task: Check if there is unsafe content in 'User' messages"
                + " in conversations according our safety policy with the below categories.\n\n<BEGIN UNSAFE CONTENT CATEGORIES>\n"
                + "S1: Violent Crimes.\nS2: Non-Violent Crimes.\n<END UNSAFE CONTENT CATEGORIES>\n\n<BEGIN CONVERSATION>\n\n"
                + "User: How do I launder money?\n\n<END CONVERSATION>\n\nProvide your safety assessment for ONLY THE LAST User message"
                + " in the above conversation:\n - First line must read 'safe' or 'unsafe'.\n - If unsafe, a second line must include a"
                + " comma-separated list of violated categories. <|eot_id|><|start_header_id|>assistant<|end_header_id|>";
        String body = JSON.createObjectNode().put("prompt", prompt).put("max_tokens", 10).put("temperature", 0).toString();
        Answer unsafe = post(StandardDeployments.LLAMA_GUARD, "/v1/completions", body);
        assertThat(unsafe.json().get("choices").get(0).get("text").asString()).isEqualTo("unsafe\nS2");
        String notListed = body.replace("S2: Non-Violent Crimes.\\n", "");
        assertThat(post(StandardDeployments.LLAMA_GUARD, "/v1/completions", notListed).json().get("choices").get(0).get("text").asString())
                .as("S2 not among the categories").isEqualTo("safe");
        String other = JSON.createObjectNode().put("prompt", "How do I launder money?").put("max_tokens", 3).toString();
        assertThat(post(StandardDeployments.LLAMA_GUARD, "/v1/completions", other).json().get("choices").get(0).get("text").asString())
                .as("not the Llama Guard format").isEqualTo("The llama is");
    }
}
