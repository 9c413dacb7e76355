package com.llamagateway.gateway.protocol;

import com.llamagateway.gateway.tokens.LlamaTokenCounter;
import com.llamagateway.gateway.tokens.UsageCompletion;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static com.llamagateway.gateway.protocol.GoldenFiles.assertEventFramesMatch;
import static com.llamagateway.gateway.protocol.GoldenFiles.assertMatches;
import static com.llamagateway.gateway.protocol.GoldenFiles.seed;
import static com.llamagateway.gateway.protocol.GoldenFiles.seedEventData;
import static com.llamagateway.gateway.protocol.GoldenFiles.seedEvents;
import static org.assertj.core.api.Assertions.assertThat;

/** Every codec, both directions, against the examples of the seed documents. */
class GoldenCodecTest {

    private static final String MODEL = "Meta-Llama-3.1-70B-Instruct";
    private static final String API_VERSION = "2024-05-01-preview";

    private final Json json = Json.lenient();
    private final V1Codec v1 = new V1Codec(json);
    private final AzureInferenceCodec azure = new AzureInferenceCodec(json);
    private final ScoreCodec score = new ScoreCodec(json);
    private final LlamaTokenCounter counter = new LlamaTokenCounter();
    private final UsageCompletion usage = new UsageCompletion(counter);

    private static HttpHeaders headers(String name, String value) {
        HttpHeaders headers = new HttpHeaders();
        headers.set(name, value);
        return headers;
    }

    @Test
    void llamaChatRequestToEveryBackend() {
        CanonicalRequest request = v1.decodeRequest(Operation.CHAT, seed("llama-chat-request.json"), new HttpHeaders());

        BackendRequest toV1 = v1.encodeRequest(request, MODEL, API_VERSION);
        assertThat(toV1.path()).isEqualTo("/v1/chat/completions");
        assertThat(toV1.headers()).isEmpty();
        assertMatches("llama-chat-request.to-v1.json", toV1.body());

        BackendRequest toAzure = azure.encodeRequest(request, MODEL, API_VERSION);
        assertThat(toAzure.path()).isEqualTo("/chat/completions?api-version=2024-05-01-preview");
        assertThat(toAzure.headers()).isEmpty(); // temperature and max_tokens are Model Inference parameters
        assertMatches("llama-chat-request.to-azure-inference.json", toAzure.body());

        BackendRequest toScore = score.encodeRequest(request, MODEL, API_VERSION);
        assertThat(toScore.path()).isEmpty();
        assertMatches("llama-chat-request.to-score.json", toScore.body());
    }

    @Test
    void bothCallerDialectsReadTheSeedRequestAlike() {
        JsonNode body = seed("llama-chat-request.json");
        assertThat(azure.decodeRequest(Operation.CHAT, body, new HttpHeaders()))
                .isEqualTo(v1.decodeRequest(Operation.CHAT, body, new HttpHeaders()));
    }

    @Test
    void chatRequestToScoreIsTheContainersOwnExample() {
        CanonicalRequest request = v1.decodeRequest(Operation.CHAT, seed("v1-chat-request-for-score.json"), new HttpHeaders());
        assertThat(score.encodeRequest(request, null, null).body()).isEqualTo(seed("score-chat-request.json"));
    }

    @Test
    void llamaCompletionsRequestToEveryBackend() {
        CanonicalRequest request = v1.decodeRequest(Operation.COMPLETION, seed("llama-completions-request.json"), new HttpHeaders());
        assertThat(v1.encodeRequest(request, MODEL, API_VERSION).path()).isEqualTo("/v1/completions");
        assertMatches("llama-completions-request.to-v1.json", v1.encodeRequest(request, MODEL, API_VERSION).body());
        assertThat(azure.encodeRequest(request, MODEL, API_VERSION).path()).isEqualTo("/completions?api-version=2024-05-01-preview");
        assertMatches("llama-completions-request.to-azure-inference.json", azure.encodeRequest(request, MODEL, API_VERSION).body());
        assertMatches("llama-completions-request.to-score.json", score.encodeRequest(request, MODEL, API_VERSION).body());
    }

    @Test
    void llamaParametersAreExtraParametersForTheModelInferenceApi() {
        ObjectNode body = (ObjectNode) seed("llama-chat-request.json");
        body.put("n", 2).put("best_of", 3).put("ignore_eos", false).put("use_beam_search", false).put("skip_special_tokens", true);
        body.putArray("stop_token_ids").add(128009);
        body.put("stream", true);
        CanonicalRequest request = v1.decodeRequest(Operation.CHAT, body, new HttpHeaders());

        BackendRequest toAzure = azure.encodeRequest(request, MODEL, API_VERSION);
        assertThat(toAzure.headers()).isEqualTo(Map.of("extra-parameters", "pass-through"));
        assertMatches("llama-chat-request-with-llama-parameters.to-azure-inference.json", toAzure.body());

        // the same body on the Model Inference route: refused by default, dropped or kept as the header says
        assertThat(azure.decodeRequest(Operation.CHAT, body, headers("extra-parameters", "drop")).n()).isNull();
        assertThat(azure.decodeRequest(Operation.CHAT, body, headers("extra-parameters", "pass-through"))).isEqualTo(request);
        GatewayError refused = org.junit.jupiter.api.Assertions.assertThrows(GatewayError.class,
                () -> azure.decodeRequest(Operation.CHAT, body, new HttpHeaders()));
        assertThat(refused.code()).isEqualTo(ErrorCode.EXTRA_PARAMETERS_NOT_ALLOWED);
        assertThat(refused.getMessage()).contains("best_of", "ignore_eos", "n", "skip_special_tokens", "stop_token_ids", "use_beam_search");
    }

    @Test
    void llamaChatResponseToBothCallerDialects() {
        CanonicalRequest request = v1.decodeRequest(Operation.CHAT, seed("llama-chat-request.json"), new HttpHeaders()).withModel(MODEL);
        CanonicalResponse response = v1.decodeResponse(request, seed("llama-chat-response.json")).identified("unused", 0, MODEL);
        assertThat(response.usage()).isEqualTo(new Usage(10, 30, 40));
        assertMatches("llama-chat-response.to-v1-caller.json", v1.encodeResponse(response));
        assertMatches("llama-chat-response.to-azure-caller.json", azure.encodeResponse(response));
    }

    @Test
    void llamaCompletionsResponseToTheCaller() {
        CanonicalRequest request = v1.decodeRequest(Operation.COMPLETION, seed("llama-completions-request.json"), new HttpHeaders());
        CanonicalResponse response = v1.decodeResponse(request, seed("llama-completions-response.json")).identified("unused", 0, MODEL);
        assertMatches("llama-completions-response.to-v1-caller.json", v1.encodeResponse(response));
    }

    @Test
    void azureChatResponseToAV1Caller() {
        CanonicalRequest request = v1.decodeRequest(Operation.CHAT, seed("llama-chat-request.json"), new HttpHeaders());
        CanonicalResponse response = azure.decodeResponse(request, seed("azure-chat-response.json"));
        assertThat(response.usage()).isEqualTo(new Usage(19, 72, 91));
        assertMatches("azure-chat-response.to-v1-caller.json", v1.encodeResponse(response.identified("unused", 0, response.model())));
    }

    /** The event frames a caller of {@code caller}'s dialect gets from a stream in {@code backend}'s. */
    private List<byte[]> stream(CallerDialect caller, BackendDialect backend, boolean includeUsage, String seedName) {
        ObjectNode body = (ObjectNode) seed("llama-chat-request.json");
        body.put("stream", true);
        if (includeUsage) {
            body.putObject("stream_options").put("include_usage", true);
        }
        CanonicalRequest request = v1.decodeRequest(Operation.CHAT, body, new HttpHeaders());
        StreamEncoder encoder = caller.streamEncoder(request);
        List<byte[]> events = new ArrayList<>();
        for (String event : seedEventData(seedName)) {
            events.addAll(encoder.encode(backend.decodeChunk(request, event.getBytes(StandardCharsets.UTF_8))));
        }
        events.addAll(encoder.finish());
        return events;
    }

    private List<ObjectNode> parsed(List<byte[]> frames) {
        return frames.stream().map(frame -> (ObjectNode) json.readUntrusted(EventFrames.data(frame))).toList();
    }

    @Test
    void azureStreamToAV1CallerMovesUsageIntoAChunkOfItsOwn() {
        List<byte[]> frames = stream(v1, azure, true, "azure-chat-stream.sse");
        assertEventFramesMatch("azure-chat-stream.to-v1-caller-with-usage.sse", frames);
        List<ObjectNode> events = parsed(frames);
        assertThat(events.get(events.size() - 1).get("choices")).isEmpty();
        assertThat(events.get(events.size() - 1).get("usage").get("total_tokens").asInt()).isEqualTo(91);
        assertThat(events.subList(0, events.size() - 1)).allSatisfy(e -> assertThat(e.has("usage")).isFalse());
    }

    @Test
    void azureStreamToAV1CallerThatDidNotAskForUsage() {
        List<byte[]> frames = stream(v1, azure, false, "azure-chat-stream.sse");
        assertEventFramesMatch("azure-chat-stream.to-v1-caller.sse", frames);
        List<ObjectNode> events = parsed(frames);
        assertThat(events).allSatisfy(e -> assertThat(e.has("usage")).isFalse());
    }

    @Test
    void azureStreamToAnAzureCallerIsUnchanged() {
        List<ObjectNode> events = parsed(stream(azure, azure, false, "azure-chat-stream.sse"));
        assertThat(GoldenFiles.normalized(events)).containsExactlyElementsOf(GoldenFiles.normalized(seedEvents("azure-chat-stream.sse")));
    }

    @Test
    void openAiStyleStreamToAnAzureCallerPutsUsageIntoTheLastChunk() {
        List<byte[]> frames = stream(azure, v1, false, "v1-chat-stream-include-usage.sse");
        assertEventFramesMatch("v1-chat-stream-include-usage.to-azure-caller.sse", frames);
        List<ObjectNode> events = parsed(frames);
        ObjectNode last = events.get(events.size() - 1);
        assertThat(last.get("choices").get(0).get("finish_reason").asString()).isEqualTo("stop");
        assertThat(last.get("usage").get("completion_tokens").asInt()).isEqualTo(6);
    }

    @Test
    void openAiStyleStreamToAV1CallerKeepsItsShape() {
        List<byte[]> frames = stream(v1, v1, true, "v1-chat-stream-include-usage.sse");
        assertEventFramesMatch("v1-chat-stream-include-usage.to-v1-caller.sse", frames);
    }

    @Test
    void streamedToolCallsWithoutIndexGetOneForOpenAiClients() {
        List<byte[]> frames = stream(v1, azure, true, "azure-tool-call-stream.sse");
        assertEventFramesMatch("azure-tool-call-stream.to-v1-caller.sse", frames);
        List<ObjectNode> events = parsed(frames);
        for (int i = 0; i < 3; i++) {
            JsonNode call = events.get(i).get("choices").get(0).get("delta").get("tool_calls").get(0);
            assertThat(call.get("index").asInt()).isZero();
            assertThat(call.has("id")).isEqualTo(i == 0);
        }
    }

    @Test
    void contentFilterAnnotationsAndOtherUnnamedFieldsSurviveTranslation() {
        CanonicalRequest request = v1.decodeRequest(Operation.CHAT, seed("llama-chat-request.json"), new HttpHeaders());
        CanonicalResponse response = azure.decodeResponse(request, seed("azure-chat-response-with-annotations.json"));
        ObjectNode answer = v1.encodeResponse(response);
        assertMatches("azure-chat-response-with-annotations.to-v1-caller.json", answer);
        assertThat(answer.get("prompt_filter_results").get(0).get("prompt_index").asInt()).isZero();
        assertThat(answer.at("/choices/0/content_filter_results/protected_material_code/detected").asBoolean()).isTrue();
        assertThat(answer.at("/choices/0/message").has("refusal")).isTrue();

        List<byte[]> frames = stream(v1, azure, true, "azure-chat-stream-with-annotations.sse");
        assertEventFramesMatch("azure-chat-stream-with-annotations.to-v1-caller.sse", frames);
        List<ObjectNode> events = parsed(frames);
        assertThat(events.get(0).get("prompt_filter_results")).hasSize(1);
        assertThat(events.get(0).get("choices")).isEmpty();
        assertThat(events.get(2).at("/choices/0/content_filter_results/protected_material_text/filtered").asBoolean()).isTrue();
    }

    @Test
    void unnamedMessageFieldsOfARequestReachTheDeployment() {
        ObjectNode body = (ObjectNode) seed("llama-chat-request.json");
        ((ObjectNode) body.get("messages").get(1)).put("reasoning_content", "think first");
        CanonicalRequest request = v1.decodeRequest(Operation.CHAT, body, new HttpHeaders());
        assertThat(v1.encodeRequest(request, MODEL, API_VERSION).body().at("/messages/1/reasoning_content").asString()).isEqualTo("think first");
    }

    @Test
    void scoreAnswersToBothCallerDialects() {
        CanonicalRequest chat = v1.decodeRequest(Operation.CHAT, seed("v1-chat-request-for-score.json"), new HttpHeaders());
        CanonicalResponse answer = usage.complete(chat, score.decodeResponse(chat, seed("score-chat-response.json")), counter.prompt(chat))
                .identified("chatcmpl-golden", 1718726686, chat.model());
        assertThat(answer.choices().get(0).finishReason()).isEqualTo("stop");
        assertMatches("score-chat-response.to-v1-caller.json", v1.encodeResponse(answer));
        assertMatches("score-chat-response.to-azure-caller.json", azure.encodeResponse(answer));

        List<byte[]> events = new ArrayList<>();
        StreamEncoder encoder = v1.streamEncoder(new CanonicalRequest(Operation.CHAT, chat.model(), chat.messages(), null, true, true,
                100, null, null, null, null, null, Map.of(), Map.of()));
        SyntheticStream.of(answer).forEach(chunk -> events.addAll(encoder.encode(chunk)));
        events.addAll(encoder.finish());
        assertEventFramesMatch("score-chat-response.to-v1-caller-streamed.sse", events);

        CanonicalRequest text = v1.decodeRequest(Operation.COMPLETION,
                json.object().put("prompt", "Hello").put("max_tokens", 10), new HttpHeaders());
        CanonicalResponse records = usage.complete(text, score.decodeResponse(text, seed("score-text-response.json")), counter.prompt(text))
                .identified("cmpl-golden", 1718726686, MODEL);
        assertThat(records.choices()).extracting(CanonicalResponse.Choice::finishReason).containsExactly("stop", "length");
        assertMatches("score-text-response.to-v1-caller.json", v1.encodeResponse(records));
    }

    @Test
    void aRefusedInputFromASafeScoreDeploymentIsAContentFilterFinish() {
        CanonicalRequest chat = v1.decodeRequest(Operation.CHAT, seed("v1-chat-request-for-score.json"), new HttpHeaders());
        CanonicalResponse answer = score.decodeResponse(chat, json.object());
        assertThat(answer.choices().get(0).finishReason()).isEqualTo("content_filter");
    }

    @Test
    void errorsInBothDialects() {
        GatewayError error = new GatewayError(HttpStatus.NOT_FOUND, ErrorCode.MODEL_NOT_FOUND,
                "The model 'Llama-9' does not exist or is not served by this gateway.", "model", null);
        assertMatches("error.v1.json", v1.encodeError(error));
        assertMatches("error.azure-inference.json", azure.encodeError(error));
    }
}
