package com.llamagateway.gateway.e2e;

import com.azure.ai.inference.ChatCompletionsClient;
import com.azure.ai.inference.ChatCompletionsClientBuilder;
import com.azure.ai.inference.models.ChatCompletions;
import com.azure.ai.inference.models.ChatCompletionsOptions;
import com.azure.ai.inference.models.ChatRequestMessage;
import com.azure.ai.inference.models.ChatRequestSystemMessage;
import com.azure.ai.inference.models.ChatRequestUserMessage;
import com.azure.ai.inference.models.CompletionsFinishReason;
import com.azure.ai.inference.models.ModelInfo;
import com.azure.ai.inference.models.StreamingChatCompletionsUpdate;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.AddHeadersPolicy;
import com.azure.core.http.policy.RetryPolicy;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.FunctionDefinition;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import com.llamagateway.simulator.Behaviour;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The official clients, unmodified, through the gateway to simulated deployments of every kind: openai-java on
 * {@code /v1}, azure-ai-inference on the Azure routes; chat and completions, streamed and not, usage asserted.
 */
class OfficialClientsEndToEndTest extends GatewayIntegrationTest {

    /** The first {@code n} words of the simulator's reply: what a deployment answers under max_tokens = n. */
    private static String expectedText(int n) {
        String[] words = Behaviour.DEFAULT_REPLY.split(" ");
        return String.join(" ", java.util.Arrays.copyOf(words, n));
    }

    private OpenAIClient openAi() {
        return OpenAIOkHttpClient.builder().baseUrl(baseUrl() + "/v1").apiKey(teamKey()).maxRetries(0)
                .timeout(Duration.ofSeconds(20)).build();
    }

    /** No key credential over plain HTTP (the client refuses it): the key goes in an {@code api-key} header. */
    private ChatCompletionsClient azure(String modelHeader) {
        HttpHeaders headers = new HttpHeaders().set(HttpHeaderName.fromString("api-key"), teamKey());
        if (modelHeader != null) {
            headers.set(HttpHeaderName.fromString("azureml-model-deployment"), modelHeader);
        }
        return new ChatCompletionsClientBuilder().endpoint(baseUrl()).httpClient(new JdkHttpClientBuilder().build())
                .addPolicy(new AddHeadersPolicy(headers))
                .retryOptions(new RetryOptions(new FixedDelayOptions(0, Duration.ofMillis(1))))
                .buildClient();
    }

    private static ChatCompletionCreateParams.Builder chat(String model, int maxTokens) {
        return ChatCompletionCreateParams.builder().model(model).addSystemMessage("You are a helpful assistant.")
                .addUserMessage("Tell me about llamas.").maxTokens(maxTokens);
    }

    @ParameterizedTest
    @ValueSource(strings = {MODEL_V1, MODEL_AZURE, MODEL_SCORE})
    void openAiChat(String model) {
        ChatCompletion completion = openAi().chat().completions().create(chat(model, 7).build());

        assertThat(completion.model()).isEqualTo(model);
        assertThat(completion.choices()).hasSize(1);
        assertThat(completion.choices().get(0).message().content()).contains(expectedText(7));
        assertThat(completion.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.LENGTH);
        CompletionUsage usage = completion.usage().orElseThrow();
        assertThat(usage.completionTokens()).isEqualTo(7);
        assertThat(usage.promptTokens()).isGreaterThan(10);
        assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + 7);
    }

    @ParameterizedTest
    @ValueSource(strings = {MODEL_V1, MODEL_AZURE, MODEL_SCORE})
    void openAiChatStreamWithUsage(String model) {
        ChatCompletionCreateParams params = chat(model, 9).streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        StringBuilder text = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = openAi().chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> {
                chunks.add(chunk);
                chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append));
            });
        }
        assertThat(text.toString()).isEqualTo(expectedText(9));
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.choices()).isEmpty();
        CompletionUsage usage = last.usage().orElseThrow();
        assertThat(usage.completionTokens()).isEqualTo(9);
        assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + 9);
        assertThat(chunks.subList(0, chunks.size() - 1)).allSatisfy(c -> assertThat(c.usage()).isEmpty());
        assertThat(chunks).anySatisfy(c -> assertThat(c.choices()).anySatisfy(choice ->
                assertThat(choice.finishReason()).contains(ChatCompletionChunk.Choice.FinishReason.LENGTH)));
        assertThat(chunks).extracting(ChatCompletionChunk::id).containsOnly(chunks.get(0).id());
    }

    @ParameterizedTest
    @ValueSource(strings = {MODEL_V1, MODEL_AZURE, MODEL_SCORE})
    void openAiChatStreamWithoutUsageCarriesNone(String model) {
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = openAi().chat().completions().createStreaming(chat(model, 4).build())) {
            stream.stream().forEach(chunks::add);
        }
        assertThat(chunks).isNotEmpty().allSatisfy(c -> {
            assertThat(c.usage()).isEmpty();
            assertThat(c.choices()).isNotEmpty();
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {MODEL_V1, MODEL_AZURE, MODEL_SCORE})
    void openAiCompletions(String model) {
        Completion completion = openAi().completions().create(CompletionCreateParams.builder().model(model)
                .prompt("The distance to the moon is").maxTokens(6L).build());

        assertThat(completion.choices().get(0).text()).isEqualTo(expectedText(6));
        assertThat(completion.choices().get(0).finishReason().asString()).isEqualTo("length");
        CompletionUsage usage = completion.usage().orElseThrow();
        assertThat(usage.completionTokens()).isEqualTo(6);
        assertThat(usage.promptTokens()).isGreaterThan(5);
    }

    @ParameterizedTest
    @ValueSource(strings = {MODEL_V1, MODEL_AZURE, MODEL_SCORE})
    void openAiCompletionsStream(String model) {
        CompletionCreateParams params = CompletionCreateParams.builder().model(model).prompt("The distance to the moon is")
                .maxTokens(5L).streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        StringBuilder text = new StringBuilder();
        List<Completion> events = new ArrayList<>();
        try (StreamResponse<Completion> stream = openAi().completions().createStreaming(params)) {
            stream.stream().forEach(event -> {
                events.add(event);
                event.choices().forEach(c -> text.append(c.text()));
            });
        }
        assertThat(text.toString()).isEqualTo(expectedText(5));
        assertThat(events.get(events.size() - 1).usage().orElseThrow().completionTokens()).isEqualTo(5);
    }

    @ParameterizedTest
    @ValueSource(strings = {MODEL_V1, MODEL_AZURE})
    void openAiToolCallsStreamedAndNot(String model) {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(model)
                .addUserMessage("What is the weather in Lima?")
                .addTool(ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder().name("get_weather").build()).build())
                .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED)
                .build();

        ChatCompletion completion = openAi().chat().completions().create(params);
        ChatCompletionMessageToolCall call = completion.choices().get(0).message().toolCalls().orElseThrow().get(0);
        assertThat(call.asFunction().function().name()).isEqualTo("get_weather");
        String arguments = call.asFunction().function().arguments();
        assertThat(arguments).startsWith("{\"topic\":");
        assertThat(completion.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);

        Map<Long, StringBuilder> streamedArguments = new TreeMap<>();
        Map<Long, String> names = new TreeMap<>();
        try (StreamResponse<ChatCompletionChunk> stream = openAi().chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(choice -> choice.delta().toolCalls().ifPresent(calls -> calls.forEach(c -> {
                streamedArguments.computeIfAbsent(c.index(), i -> new StringBuilder());
                c.function().ifPresent(f -> {
                    f.name().ifPresent(name -> names.put(c.index(), name));
                    f.arguments().ifPresent(streamedArguments.get(c.index())::append);
                });
            }))));
        }
        assertThat(names).containsExactly(Map.entry(0L, "get_weather"));
        assertThat(streamedArguments.get(0L).toString()).isEqualTo(arguments);
    }

    private static List<ChatRequestMessage> azureMessages() {
        return List.of(new ChatRequestSystemMessage("You are a helpful assistant."), new ChatRequestUserMessage("Tell me about llamas."));
    }

    @ParameterizedTest
    @ValueSource(strings = {MODEL_V1, MODEL_AZURE, MODEL_SCORE})
    void azureChat(String model) {
        ChatCompletions completions = azure(null).complete(new ChatCompletionsOptions(azureMessages()).setModel(model).setMaxTokens(8));

        assertThat(completions.getModel()).isEqualTo(model);
        assertThat(completions.getChoice().getMessage().getContent()).isEqualTo(expectedText(8));
        assertThat(completions.getChoice().getFinishReason()).isEqualTo(CompletionsFinishReason.TOKEN_LIMIT_REACHED);
        assertThat(completions.getUsage().getCompletionTokens()).isEqualTo(8);
        assertThat(completions.getUsage().getTotalTokens()).isEqualTo(completions.getUsage().getPromptTokens() + 8);
    }

    @ParameterizedTest
    @ValueSource(strings = {MODEL_V1, MODEL_AZURE, MODEL_SCORE})
    void azureChatStream(String model) {
        List<StreamingChatCompletionsUpdate> updates = new ArrayList<>();
        azure(null).completeStream(new ChatCompletionsOptions(azureMessages()).setModel(model).setMaxTokens(10)).forEach(updates::add);

        StringBuilder text = new StringBuilder();
        updates.forEach(u -> u.getChoices().forEach(c -> {
            if (c.getDelta() != null && c.getDelta().getContent() != null) {
                text.append(c.getDelta().getContent());
            }
        }));
        assertThat(text.toString()).isEqualTo(expectedText(10));
        StreamingChatCompletionsUpdate last = updates.get(updates.size() - 1);
        assertThat(last.getChoices()).hasSize(1);
        assertThat(last.getChoice().getFinishReason()).isEqualTo(CompletionsFinishReason.TOKEN_LIMIT_REACHED);
        assertThat(last.getUsage().getCompletionTokens()).isEqualTo(10);
        assertThat(updates.subList(0, updates.size() - 1)).allSatisfy(u -> assertThat(u.getUsage()).isNull());
    }

    /** azure-ai-inference has no text-completions client: the Azure route is called over plain HTTP. */
    @ParameterizedTest
    @ValueSource(strings = {MODEL_V1, MODEL_AZURE, MODEL_SCORE})
    void azureCompletionsOverHttp(String model) {
        String body = "{\"model\":\"" + model + "\",\"prompt\":\"The distance to the moon is\",\"max_tokens\":4";
        http().post().uri("/completions?api-version=2024-05-01-preview").contentType(org.springframework.http.MediaType.APPLICATION_JSON)
                .bodyValue(body + "}").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.object").isEqualTo("text_completion")
                .jsonPath("$.choices[0].text").isEqualTo(expectedText(4))
                .jsonPath("$.choices[0].finish_reason").isEqualTo("length")
                .jsonPath("$.usage.completion_tokens").isEqualTo(4);

        String stream = new String(http().post().uri("/completions?api-version=2024-05-01-preview")
                .contentType(org.springframework.http.MediaType.APPLICATION_JSON).bodyValue(body + ",\"stream\":true}").exchange()
                .expectStatus().isOk().expectHeader().contentTypeCompatibleWith(org.springframework.http.MediaType.TEXT_EVENT_STREAM)
                .expectBody().returnResult().getResponseBodyContent(), java.nio.charset.StandardCharsets.UTF_8);
        List<String> events = java.util.Arrays.stream(stream.split("\n\n")).map(String::trim).filter(e -> !e.isEmpty()).toList();
        assertThat(events.get(events.size() - 1)).isEqualTo("data: [DONE]");
        String last = events.get(events.size() - 2);
        assertThat(last).contains("\"finish_reason\":\"length\"").contains("\"completion_tokens\":4"); // usage in the last chunk
        StringBuilder text = new StringBuilder();
        for (String event : events.subList(0, events.size() - 1)) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"text\":\"([^\"]*)\"").matcher(event);
            while (m.find()) {
                text.append(m.group(1));
            }
        }
        assertThat(text.toString()).isEqualTo(expectedText(4));
    }

    @Test
    void azureModelInfoNamesTheModelOfTheDeploymentHeader() {
        ModelInfo info = azure(MODEL_SCORE).getModelInfo();
        assertThat(info.getModelName()).isEqualTo(MODEL_SCORE);
        assertThat(info.getModelProviderName()).isEqualTo("Meta");
    }

    @Test
    void azureHeaderSelectsTheModelWhenTheBodyNamesNone() {
        ChatCompletions completions = azure(MODEL_AZURE).complete(new ChatCompletionsOptions(azureMessages()).setMaxTokens(3));
        assertThat(completions.getModel()).isEqualTo(MODEL_AZURE);
        assertThat(simulator.deployment(DEPLOYMENT_AZURE).stats().requests()).isEqualTo(1);
    }

    @Test
    void openAiListsTheModels() {
        assertThat(openAi().models().list().data()).extracting(m -> m.id()).containsExactly(MODEL_V1, MODEL_AZURE, MODEL_SCORE);
    }
}
