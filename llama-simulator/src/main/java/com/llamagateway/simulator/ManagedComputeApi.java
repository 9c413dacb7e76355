package com.llamagateway.simulator;

import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static com.llamagateway.simulator.SimulatorHttp.JSON;
import static com.llamagateway.simulator.SimulatorHttp.object;

/**
 * A managed online endpoint running the Azure ML foundation-model inference container:
 * {@code POST /score} with {@code {"input_data":{"input_string":[…],"parameters":{…}}}}. Chat input (a list of
 * messages) is answered {@code {"output":"…"}}; text input (a list of strings) is answered as the container's
 * records, {@code [{"0":"…"}, …]}. The container reports no token usage and does not stream.
 */
final class ManagedComputeApi {

    static final String EXPECTED_FORMAT = "Expected format: {\"input_data\": {\"input_string\": \"<query>\", "
            + "\"parameters\": {\"k1\":\"v1\", \"k2\":\"v2\"}}}. For text-generation: [\"str1\", \"str2\", ...] "
            + "For chat-completion: [{\"role\":\"user\", \"content\": \"str1\"}, ...]";
    private static final int DEFAULT_MAX_NEW_TOKENS = 256;

    private final Function<String, SimulatedDeployment> deployments;

    ManagedComputeApi(Function<String, SimulatedDeployment> deployments) {
        this.deployments = deployments;
    }

    Mono<ServerResponse> score(ServerRequest request) {
        SimulatedDeployment deployment = deployments.apply(request.pathVariable("deployment"));
        if (deployment == null || deployment.kind() != DeploymentKind.MANAGED_COMPUTE) {
            return SimulatorHttp.azureError(404, "NotFound", "Resource not found");
        }
        if (!SimulatorHttp.authorized(request, deployment.apiKey())) {
            return SimulatorHttp.azureError(401, "Unauthorized", "Invalid authentication for the endpoint");
        }
        String target = request.headers().firstHeader("azureml-model-deployment");
        if (target != null && !deployment.deploymentNames().contains(target)) {
            return SimulatorHttp.azureError(404, "NotFound", "No valid deployments to route to. Please check that the endpoint has at least"
                    + " one deployment with positive weight values or use a deployment specific header to route.");
        }
        return request.bodyToMono(String.class).defaultIfEmpty("").flatMap(body -> {
            deployment.stats().request(body, SimulatorHttp.headers(request));
            return Faulty.apply(deployment, FaultStyle.SCORE, ignoredDrop -> {
                try {
                    return answer(deployment, JSON.readTree(body));
                } catch (JacksonException | IllegalArgumentException e) {
                    return SimulatorHttp.azureError(400, "BadRequest", EXPECTED_FORMAT);
                }
            });
        });
    }

    private Mono<ServerResponse> answer(SimulatedDeployment deployment, JsonNode body) {
        JsonNode inputs = body.path("input_data").path("input_string");
        JsonNode parameters = body.path("input_data").path("parameters");
        if (!inputs.isArray() || inputs.isEmpty() || !(parameters.isMissingNode() || parameters.isObject())) {
            throw new IllegalArgumentException("bad input");
        }
        boolean chat = inputs.get(0).isObject();
        Integer maxNewTokens = parameters.has("max_new_tokens") ? parameters.get("max_new_tokens").asInt() : DEFAULT_MAX_NEW_TOKENS;
        List<String> stop = GenerationRequest.stop(parameters.has("stop") ? parameters.get("stop") : parameters.get("stop_sequences"));
        List<String> texts = new ArrayList<>();
        for (JsonNode input : inputs) {
            if (chat != input.isObject()) {
                throw new IllegalArgumentException("mixed input");
            }
            texts.add(chat ? GenerationRequest.messageText(input.get("content")) : input.asString());
        }
        int promptTokens = chat ? TokenCounter.chatPrompt(texts) : texts.stream().mapToInt(TokenCounter::textPrompt).sum();
        long retryAfter = deployment.tryAdmit(promptTokens + (long) maxNewTokens * (chat ? 1 : texts.size()));
        if (retryAfter > 0) {
            return SimulatorHttp.azureError(429, "TooManyRequests", "Rate-limited: too many requests to the endpoint", retryAfter);
        }
        Behaviour behaviour = deployment.behaviour();
        Generation generation = Generation.of(deployment.reply(chat, texts), maxNewTokens, stop);
        Duration latency = behaviour.timeToFirstToken().plus(behaviour.tokenDelay().multipliedBy(generation.tokens()));
        JsonNode output;
        if (chat) {
            output = object().put("output", generation.text());
        } else {
            ArrayNode records = JSON.createArrayNode();
            for (int i = 0; i < texts.size(); i++) {
                records.addObject().put("0", generation.text());
            }
            output = records;
        }
        return Mono.delay(latency).then(SimulatorHttp.json(HttpStatus.OK, output));
    }
}
