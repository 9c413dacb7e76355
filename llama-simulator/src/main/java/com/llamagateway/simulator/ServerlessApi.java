package com.llamagateway.simulator;

import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Function;

import static com.llamagateway.simulator.SimulatorHttp.JSON;
import static com.llamagateway.simulator.SimulatorHttp.object;

/**
 * A serverless Llama deployment: the Llama API ({@code /v1/chat/completions}, {@code /v1/completions}) and the
 * Azure AI Model Inference API ({@code /chat/completions}, {@code /completions}, {@code /info}) as the Azure
 * documentation describes them.
 */
final class ServerlessApi {

    /** How long a dropped stream waits after its last frame before the connection goes. */
    private static final Duration DROP_AFTER_FLUSH = Duration.ofMillis(50);

    /** Which of the two APIs a request came in on; they differ in errors, extra parameters and stream usage. */
    enum Api { LLAMA, MODEL_INFERENCE }

    /** Body fields of the Model Inference API; anything else is an extra parameter governed by {@code extra-parameters}. */
    private static final Set<String> MODEL_INFERENCE_CHAT_FIELDS = Set.of("messages", "frequency_penalty", "presence_penalty",
            "temperature", "top_p", "max_tokens", "stop", "stream", "response_format", "tools", "tool_choice", "seed", "model", "modalities");
    private static final Set<String> MODEL_INFERENCE_COMPLETION_FIELDS = Set.of("prompt", "frequency_penalty", "presence_penalty",
            "temperature", "top_p", "max_tokens", "stop", "stream", "seed", "model");
    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool", "developer");
    /** The Llama API's documented default for {@code max_tokens}. */
    private static final int LLAMA_DEFAULT_MAX_TOKENS = 16;
    /** The Model Inference completions default for {@code max_tokens}. */
    private static final int MODEL_INFERENCE_DEFAULT_MAX_TOKENS = 256;

    private final Function<String, SimulatedDeployment> deployments;

    ServerlessApi(Function<String, SimulatedDeployment> deployments) {
        this.deployments = deployments;
    }

    Mono<ServerResponse> info(ServerRequest request) {
        SimulatedDeployment deployment = deployments.apply(request.pathVariable("deployment"));
        if (deployment == null || deployment.kind() != DeploymentKind.SERVERLESS) {
            return SimulatorHttp.azureError(404, "NotFound", "Resource not found");
        }
        if (!SimulatorHttp.authorized(request, deployment.apiKey())) {
            return SimulatorHttp.azureError(401, "Unauthorized", "Access token is missing or invalid");
        }
        if (request.queryParam("api-version").isEmpty()) {
            return missingApiVersion();
        }
        ObjectNode info = object();
        info.put("model_name", deployment.model());
        info.put("model_type", "chat-completions");
        info.put("model_provider_name", "Meta");
        return SimulatorHttp.json(HttpStatus.OK, info);
    }

    Mono<ServerResponse> generate(ServerRequest request, Api api, boolean chat) {
        SimulatedDeployment deployment = deployments.apply(request.pathVariable("deployment"));
        if (deployment == null || deployment.kind() != DeploymentKind.SERVERLESS) {
            return error(api, 404, "NotFound", null, "Resource not found");
        }
        if (!SimulatorHttp.authorized(request, deployment.apiKey())) {
            return error(api, 401, "Unauthorized", null, "Access token is missing or invalid");
        }
        if (api == Api.MODEL_INFERENCE && request.queryParam("api-version").isEmpty()) {
            return missingApiVersion();
        }
        return request.bodyToMono(String.class).defaultIfEmpty("").flatMap(body -> {
            deployment.stats().request(body, SimulatorHttp.headers(request));
            return Faulty.apply(deployment, api == Api.LLAMA ? FaultStyle.LLAMA : FaultStyle.AZURE, drop -> {
                try {
                    JsonNode json = JSON.readTree(body);
                    String extraParameters = request.headers().firstHeader("extra-parameters");
                    GenerationRequest generation = parse(json, api, chat, extraParameters);
                    long retryAfter = deployment.tryAdmit(generation.promptTokens()
                            + (long) (generation.maxTokens() == null ? MODEL_INFERENCE_DEFAULT_MAX_TOKENS : generation.maxTokens()) * generation.n());
                    if (retryAfter > 0) {
                        return rateLimited(api, retryAfter);
                    }
                    return generation.stream() ? stream(deployment, api, generation, drop) : complete(deployment, api, generation);
                } catch (GenerationRequest.InvalidRequest e) {
                    return error(api, e.param == null ? 400 : 422, "Invalid input", e.param, e.getMessage());
                } catch (JacksonException e) {
                    return error(api, 400, "Invalid input", null, "Request body is not valid JSON");
                }
            });
        });
    }

    private static Mono<ServerResponse> missingApiVersion() {
        return SimulatorHttp.azureError(400, "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.");
    }

    private static Mono<ServerResponse> rateLimited(Api api, long retryAfterSeconds) {
        String message = "Requests to the model have exceeded the rate limit of your deployment. Please retry after "
                + retryAfterSeconds + " seconds.";
        return api == Api.LLAMA ? SimulatorHttp.llamaError(429, "rate_limit_error", null, message, retryAfterSeconds)
                : SimulatorHttp.azureError(429, "429", message, retryAfterSeconds);
    }

    static Mono<ServerResponse> error(Api api, int status, String code, String param, String message) {
        return api == Api.LLAMA ? SimulatorHttp.llamaError(status, status == 401 ? "authentication_error" : "invalid_request_error", param, message)
                : SimulatorHttp.azureError(status, code, message);
    }

    static GenerationRequest parse(JsonNode body, Api api, boolean chat, String extraParameters) {
        if (!body.isObject()) {
            throw new GenerationRequest.InvalidRequest(null, "The request body must be a JSON object");
        }
        if (api == Api.MODEL_INFERENCE) {
            checkExtraParameters(body, chat ? MODEL_INFERENCE_CHAT_FIELDS : MODEL_INFERENCE_COMPLETION_FIELDS, extraParameters);
        }
        boolean extrasHonoured = api == Api.LLAMA || "pass-through".equals(extraParameters);
        List<String> texts = new ArrayList<>();
        int promptTokens;
        if (chat) {
            JsonNode messages = body.get("messages");
            if (messages == null || !messages.isArray() || messages.isEmpty()) {
                throw new GenerationRequest.InvalidRequest("messages", "'messages' is required and must be a non-empty array");
            }
            for (JsonNode message : messages) {
                String role = message.path("role").asString("");
                if (!ROLES.contains(role)) {
                    throw new GenerationRequest.InvalidRequest("messages", "Unsupported message role: '" + role + "'");
                }
                texts.add(GenerationRequest.messageText(message.get("content")));
            }
            promptTokens = TokenCounter.chatPrompt(texts);
        } else {
            JsonNode prompt = body.get("prompt");
            if (prompt == null || prompt.isNull()) {
                throw new GenerationRequest.InvalidRequest("prompt", "'prompt' is required");
            }
            if (prompt.isString()) {
                texts.add(prompt.stringValue());
            } else if (prompt.isArray() && !prompt.isEmpty()) {
                prompt.forEach(p -> texts.add(p.asString()));
            } else {
                throw new GenerationRequest.InvalidRequest("prompt", "'prompt' must be a string or a non-empty array of strings");
            }
            promptTokens = texts.stream().mapToInt(TokenCounter::textPrompt).sum();
        }
        Integer maxTokens = optionalInt(body, "max_tokens", 0);
        if (maxTokens == null && api == Api.LLAMA) {
            maxTokens = LLAMA_DEFAULT_MAX_TOKENS;
        } else if (maxTokens == null && !chat) {
            maxTokens = MODEL_INFERENCE_DEFAULT_MAX_TOKENS;
        } // Model Inference chat without max_tokens: the model may use its whole context
        Integer n = extrasHonoured ? optionalInt(body, "n", 1) : null;
        Integer bestOf = extrasHonoured ? optionalInt(body, "best_of", 1) : null;
        boolean stream = body.path("stream").asBoolean(false);
        if (bestOf != null && bestOf < (n == null ? 1 : n)) {
            throw new GenerationRequest.InvalidRequest("best_of", "best_of must be greater than or equal to n");
        }
        if (stream && bestOf != null && bestOf > 1) {
            throw new GenerationRequest.InvalidRequest("best_of", "best_of > 1 can't be streamed");
        }
        JsonNode temperature = body.get("temperature");
        if (temperature != null && !temperature.isNull() && (!temperature.isNumber() || temperature.asDouble() < 0 || temperature.asDouble() > 2)) {
            throw new GenerationRequest.InvalidRequest("temperature", "'temperature' must be a number between 0 and 2");
        }
        boolean includeUsage = extrasHonoured && body.path("stream_options").path("include_usage").asBoolean(false);
        return new GenerationRequest(chat, texts, promptTokens, maxTokens, n == null ? 1 : n,
                GenerationRequest.stop(body.get("stop")), stream, includeUsage, toolChoice(body),
                extrasHonoured ? body.get("logprobs") : null);
    }

    private static void checkExtraParameters(JsonNode body, Set<String> known, String extraParameters) {
        Set<String> extra = new TreeSet<>();
        body.propertyNames().forEach(name -> {
            if (!known.contains(name)) {
                extra.add(name);
            }
        });
        if (extra.isEmpty()) {
            return;
        }
        if (extraParameters == null || extraParameters.equals("error")) {
            throw new GenerationRequest.InvalidRequest(extra.iterator().next(), "Extra parameters " + extra
                    + " are not allowed when extra-parameters is not set or set to be 'error'. "
                    + "Set extra-parameters to 'pass-through' to pass to the model.");
        }
        if (!extraParameters.equals("drop") && !extraParameters.equals("pass-through")) {
            throw new GenerationRequest.InvalidRequest(null, "Invalid value for header extra-parameters: " + extraParameters);
        }
    }

    private static Integer optionalInt(JsonNode body, String field, int minimum) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < minimum) {
            throw new GenerationRequest.InvalidRequest(field, "'" + field + "' must be an integer >= " + minimum);
        }
        return value.intValue();
    }

    private static GenerationRequest.ToolChoice toolChoice(JsonNode body) {
        JsonNode tools = body.get("tools");
        if (tools == null || !tools.isArray() || tools.isEmpty()) {
            return null;
        }
        JsonNode choice = body.get("tool_choice");
        if (choice != null && choice.isObject()) {
            return new GenerationRequest.ToolChoice(choice.path("function").path("name").asString("tool"));
        }
        if (choice != null && "required".equals(choice.asString(""))) {
            return new GenerationRequest.ToolChoice(tools.get(0).path("function").path("name").asString("tool"));
        }
        return null;
    }

    private Mono<ServerResponse> complete(SimulatedDeployment deployment, Api api, GenerationRequest request) {
        Behaviour behaviour = deployment.behaviour();
        ObjectNode response = envelope(deployment, request);
        ArrayNode choices = response.putArray("choices");
        int completionTokens = 0;
        int promptCount = request.chat() ? 1 : request.promptTexts().size();
        int maxPieces = 0;
        for (int p = 0; p < promptCount; p++) {
            for (int i = 0; i < request.n(); i++) {
                ObjectNode choice = choices.addObject();
                choice.put("index", choices.size() - 1);
                if (request.toolCall() != null) {
                    ToolCallText call = ToolCallText.of(request);
                    ObjectNode message = choice.putObject("message");
                    message.put("role", "assistant");
                    message.putNull("content");
                    ObjectNode toolCall = message.putArray("tool_calls").addObject();
                    toolCall.put("id", call.id());
                    toolCall.put("type", "function");
                    toolCall.putObject("function").put("name", call.name()).put("arguments", call.arguments());
                    choice.put("finish_reason", "tool_calls");
                    completionTokens += call.tokens();
                } else {
                    Generation generation = Generation.of(deployment.reply(request.chat(), request.promptTexts()), request.maxTokens(), request.stop());
                    if (request.chat()) {
                        ObjectNode message = choice.putObject("message");
                        message.put("role", "assistant");
                        message.put("content", generation.text());
                        message.putNull("tool_calls");
                    } else {
                        choice.put("text", generation.text());
                    }
                    choice.put("finish_reason", generation.finishReason());
                    completionTokens += generation.tokens();
                    maxPieces = Math.max(maxPieces, generation.tokens());
                }
                if (wantsLogprobs(request.logprobs())) {
                    choice.set("logprobs", logprobs(request, choice));
                } else {
                    choice.putNull("logprobs");
                }
            }
        }
        response.set("usage", usage(request.promptTokens(), completionTokens));
        Duration latency = behaviour.timeToFirstToken().plus(behaviour.tokenDelay().multipliedBy(maxPieces));
        return Mono.delay(latency).then(SimulatorHttp.json(HttpStatus.OK, response));
    }

    private static boolean wantsLogprobs(JsonNode logprobs) {
        if (logprobs == null || logprobs.isNull()) {
            return false;
        }
        return logprobs.isIntegralNumber() ? logprobs.intValue() > 0 : logprobs.asBoolean(false);
    }

    /** Completions-style log probabilities: {@code tokens}, {@code token_logprobs}, {@code top_logprobs}, {@code text_offsets}. */
    private static ObjectNode logprobs(GenerationRequest request, ObjectNode choice) {
        ObjectNode logprobs = object();
        String text = request.chat() ? choice.path("message").path("content").asString("") : choice.path("text").asString("");
        ArrayNode tokens = logprobs.putArray("tokens");
        ArrayNode tokenLogprobs = logprobs.putArray("token_logprobs");
        ArrayNode top = logprobs.putArray("top_logprobs");
        ArrayNode offsets = logprobs.putArray("text_offsets");
        int offset = 0;
        for (String piece : Generation.of(text, null, null).pieces()) {
            tokens.add(piece);
            tokenLogprobs.add(-0.25);
            top.addObject().put(piece, -0.25);
            offsets.add(offset);
            offset += piece.length();
        }
        return logprobs;
    }

    private Mono<ServerResponse> stream(SimulatedDeployment deployment, Api api, GenerationRequest request, Integer dropAfterTokens) {
        Behaviour behaviour = deployment.behaviour();
        String id = UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        List<ObjectNode> frames = new ArrayList<>();
        int completionTokens = 0;
        int promptCount = request.chat() ? 1 : request.promptTexts().size();
        int choicesCount = promptCount * request.n();
        List<List<ObjectNode>> perChoice = new ArrayList<>();
        for (int index = 0; index < choicesCount; index++) {
            List<ObjectNode> choiceFrames = new ArrayList<>();
            if (request.toolCall() != null) {
                ToolCallText call = ToolCallText.of(request);
                completionTokens += call.tokens();
                choiceFrames.add(toolCallDelta(api, index, call, true, ""));
                for (String part : call.argumentParts()) {
                    choiceFrames.add(toolCallDelta(api, index, call, false, part));
                }
                choiceFrames.add(finishDelta(request, index, "tool_calls"));
            } else {
                Generation generation = Generation.of(deployment.reply(request.chat(), request.promptTexts()), request.maxTokens(), request.stop());
                completionTokens += generation.tokens();
                if (request.chat()) {
                    ObjectNode first = choiceDelta(index);
                    first.putObject("delta").put("role", "assistant").put("content", "");
                    choiceFrames.add(first);
                }
                for (String piece : generation.pieces()) {
                    ObjectNode delta = choiceDelta(index);
                    if (request.chat()) {
                        delta.putObject("delta").put("content", piece);
                    } else {
                        delta.put("text", piece);
                    }
                    choiceFrames.add(delta);
                }
                choiceFrames.add(finishDelta(request, index, generation.finishReason()));
            }
            perChoice.add(choiceFrames);
        }
        // interleave the choices step by step, as a server generating them in parallel does
        for (int step = 0; ; step++) {
            boolean any = false;
            for (List<ObjectNode> choiceFrames : perChoice) {
                if (step < choiceFrames.size()) {
                    frames.add(chunk(deployment, request, id, created, choiceFrames.get(step)));
                    any = true;
                }
            }
            if (!any) {
                break;
            }
        }
        ObjectNode usage = usage(request.promptTokens(), completionTokens);
        ObjectNode last = frames.get(frames.size() - 1);
        if (api == Api.MODEL_INFERENCE) {
            last.set("usage", usage);       // the Model Inference stream carries usage in its last chunk
        } else if (request.includeUsage()) {
            ObjectNode usageChunk = chunk(deployment, request, id, created, null);
            usageChunk.set("usage", usage); // OpenAI-style: an extra chunk with no choices
            frames.add(usageChunk);
        }
        Stats stats = deployment.stats();
        Flux<String> data = Flux.fromIterable(frames).index().concatMap(indexed -> {
            Duration wait = indexed.getT1() == 0 ? behaviour.timeToFirstToken() : behaviour.tokenDelay();
            if (dropAfterTokens != null && indexed.getT1() >= dropAfterTokens) {
                // a moment after the frames before it: an error signalled right behind them closes the connection
                // before they are flushed, and the client sees fewer tokens than the fault promised
                return Mono.delay(DROP_AFTER_FLUSH).then(Mono.error(new IllegalStateException("connection dropped by fault injection")));
            }
            return Mono.delay(wait).thenReturn(JSON.writeValueAsString(indexed.getT2())).doOnNext(frame -> stats.tokenStreamed());
        });
        Flux<String> withDone = data.concatWith(Mono.just("[DONE]"))
                .doOnSubscribe(s -> stats.streamStarted())
                .doOnComplete(stats::streamCompleted)
                .doOnCancel(stats::streamCancelled);
        return SimulatorHttp.eventStream(withDone);
    }

    private static ObjectNode choiceDelta(int index) {
        ObjectNode choice = object();
        choice.put("index", index);
        return choice;
    }

    private static ObjectNode finishDelta(GenerationRequest request, int index, String finishReason) {
        ObjectNode choice = choiceDelta(index);
        if (request.chat()) {
            choice.putObject("delta").put("content", "");
        } else {
            choice.put("text", "");
        }
        choice.put("finish_reason", finishReason);
        return choice;
    }

    /** Tool-call deltas: the Llama (OpenAI) API carries {@code index}; the Model Inference spec has only {@code id} and {@code function}. */
    private static ObjectNode toolCallDelta(Api api, int index, ToolCallText call, boolean first, String arguments) {
        ObjectNode choice = choiceDelta(index);
        ObjectNode delta = choice.putObject("delta");
        if (first) {
            delta.put("role", "assistant");
            delta.putNull("content");
        }
        ObjectNode toolCall = delta.putArray("tool_calls").addObject();
        if (api == Api.LLAMA) {
            toolCall.put("index", 0);
            if (first) {
                toolCall.put("id", call.id());
                toolCall.put("type", "function");
            }
        } else {
            toolCall.put("id", call.id());
            if (first) {
                toolCall.put("type", "function");
            }
        }
        ObjectNode function = toolCall.putObject("function");
        if (first) {
            function.put("name", call.name());
        }
        function.put("arguments", arguments);
        return choice;
    }

    private ObjectNode chunk(SimulatedDeployment deployment, GenerationRequest request, String id, long created, ObjectNode choice) {
        ObjectNode chunk = object();
        chunk.put("id", id);
        chunk.put("object", request.chat() ? "chat.completion.chunk" : "text_completion");
        chunk.put("created", created);
        chunk.put("model", deployment.model());
        ArrayNode choices = chunk.putArray("choices");
        if (choice != null) {
            if (!choice.has("finish_reason")) {
                choice.putNull("finish_reason");
            }
            choice.putNull("logprobs");
            choices.add(choice);
        }
        return chunk;
    }

    private static ObjectNode envelope(SimulatedDeployment deployment, GenerationRequest request) {
        ObjectNode response = object();
        response.put("id", UUID.randomUUID().toString());
        response.put("object", request.chat() ? "chat.completion" : "text_completion");
        response.put("created", System.currentTimeMillis() / 1000);
        response.put("model", deployment.model());
        return response;
    }

    private static ObjectNode usage(int promptTokens, int completionTokens) {
        ObjectNode usage = object();
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
        return usage;
    }

    /** The arguments of a forced tool call, streamed in two parts so that clients must accumulate them. */
    record ToolCallText(String id, String name, String arguments) {

        static ToolCallText of(GenerationRequest request) {
            String last = request.promptTexts().isEmpty() ? "" : request.promptTexts().get(request.promptTexts().size() - 1);
            String topic = last.length() > 40 ? last.substring(0, 40) : last;
            String arguments = JSON.writeValueAsString(object().put("topic", topic));
            return new ToolCallText("call_" + Integer.toHexString(arguments.hashCode()), request.toolCall().name(), arguments);
        }

        List<String> argumentParts() {
            int half = arguments.length() / 2;
            return List.of(arguments.substring(0, half), arguments.substring(half));
        }

        int tokens() {
            return TokenCounter.count(name) + TokenCounter.count(arguments);
        }
    }
}
