package com.llamagateway.gateway.protocol;

import org.springframework.http.HttpStatus;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The managed-compute {@code /score} dialect of Azure ML's foundation-model inference container:
 * {@code {"input_data":{"input_string":[…],"parameters":{…}}}}. Chat messages go in as
 * {@code {"role","content"}} objects, a text prompt as strings; {@code max_tokens} becomes {@code max_new_tokens}.
 * Answers are {@code {"output":"…"}} (chat) or the container's records {@code [{"0":"…"}]} (text); an empty
 * object is what a content-safety-enabled deployment returns for a refused input. The container reports no usage,
 * no finish reason and does not stream: the gateway counts and streams for it.
 */
public final class ScoreCodec implements BackendDialect {

    /** Generation parameters handed to the container as they are; it passes them to the engine's generate(). */
    private static final Set<String> FORWARDED = Set.of("temperature", "top_p", "seed", "presence_penalty", "frequency_penalty",
            "ignore_eos", "stop_token_ids", "skip_special_tokens");

    private final Json json;

    public ScoreCodec(Json json) {
        this.json = json;
    }

    @Override
    public DialectName name() {
        return DialectName.SCORE;
    }

    @Override
    public BackendRequest encodeRequest(CanonicalRequest request, String model, String apiVersion) {
        refuseWhatScoreCannotExpress(request);
        ObjectNode body = json.object();
        ObjectNode inputData = body.putObject("input_data");
        ArrayNode input = inputData.putArray("input_string");
        if (request.operation() == Operation.CHAT) {
            for (int i = 0; i < request.messages().size(); i++) {
                ChatMessage message = request.messages().get(i);
                if (!message.textOnly()) {
                    throw unsupported("messages[" + i + "].content", "content parts other than text");
                }
                if (!message.toolCalls().isEmpty() || "tool".equals(message.role())) {
                    throw unsupported("messages[" + i + "]", "tool calls and tool messages");
                }
                input.addObject().put("role", message.role()).put("content", message.text());
            }
        } else {
            for (JsonNode prompt : request.prompt().isArray() ? request.prompt() : json.array().add(request.prompt())) {
                if (!prompt.isString()) {
                    throw unsupported("prompt", "token prompts");
                }
                input.add(prompt.stringValue());
            }
        }
        ObjectNode parameters = inputData.putObject("parameters");
        if (request.maxTokens() != null) {
            parameters.put("max_new_tokens", request.maxTokens());
        }
        if (request.stop() != null) {
            ArrayNode stop = parameters.putArray("stop");
            request.stop().forEach(stop::add);
        }
        request.parameters().forEach((name, value) -> {
            if (FORWARDED.contains(name)) {
                parameters.set(name, value);
            }
        });
        JsonNode temperature = request.parameters().get("temperature");
        if (temperature != null && temperature.isNumber()) {
            parameters.put("do_sample", temperature.asDouble() > 0);
        }
        request.extras().forEach(parameters::set);
        return new BackendRequest("", Map.of(), body);
    }

    private static void refuseWhatScoreCannotExpress(CanonicalRequest request) {
        if (request.tools() != null && !request.tools().isEmpty()) {
            throw unsupported("tools", "tools");
        }
        if (request.responseFormat() != null && !"text".equals(request.responseFormat().isString()
                ? request.responseFormat().stringValue() : request.responseFormat().path("type").asString("text"))) {
            throw unsupported("response_format", "response formats other than text");
        }
        if (request.n() != null && request.n() > 1) {
            throw unsupported("n", "more than one choice");
        }
        for (Map.Entry<String, JsonNode> parameter : request.parameters().entrySet()) {
            JsonNode value = parameter.getValue();
            boolean asked = switch (parameter.getKey()) {
                case "best_of" -> value.asInt(1) > 1;
                case "top_logprobs" -> value.asInt(0) > 0;
                case "logprobs" -> value.isBoolean() ? value.booleanValue() : value.asInt(0) > 0;
                case "use_beam_search", "echo" -> value.asBoolean(false);
                case "logit_bias", "suffix" -> !value.isNull();
                default -> false;
            };
            if (asked) {
                throw unsupported(parameter.getKey(), "'" + parameter.getKey() + "'");
            }
        }
    }

    private static GatewayError unsupported(String param, String what) {
        return new GatewayError(HttpStatus.BAD_REQUEST, ErrorCode.UNSUPPORTED_PARAMETER,
                "The model's deployment (managed compute, /score) does not support " + what + ".", param, null);
    }

    @Override
    public CanonicalResponse decodeResponse(CanonicalRequest request, JsonNode body) {
        List<String> outputs = new ArrayList<>();
        boolean filtered = false;
        if (body.isObject() && body.has("output")) {
            outputs.add(body.get("output").asString(""));
        } else if (body.isObject() && body.isEmpty()) {
            filtered = true;
            outputs.add("");
        } else if (body.isArray() && !body.isEmpty()) {
            for (JsonNode record : body) {
                JsonNode text = record.isObject() ? record.get("0") : record;
                if (text == null || !(text.isString() || text.isArray())) {
                    throw UpstreamFormat.unreadable("a /score answer in an unknown shape");
                }
                outputs.add(text.isArray() ? text.path(0).asString("") : text.stringValue());
            }
        } else {
            throw UpstreamFormat.unreadable("a /score answer in an unknown shape");
        }
        List<CanonicalResponse.Choice> choices = new ArrayList<>();
        String finish = filtered ? "content_filter" : null; // otherwise stop or length, decided when tokens are counted
        for (int i = 0; i < outputs.size(); i++) {
            choices.add(request.operation() == Operation.CHAT
                    ? new CanonicalResponse.Choice(i, ChatMessage.assistant(outputs.get(i)), null, finish, null)
                    : new CanonicalResponse.Choice(i, null, outputs.get(i), finish, null));
        }
        return new CanonicalResponse(request.operation(), "", 0, "", choices, null, null); // id and time: the gateway's
    }

    @Override
    public boolean streams() {
        return false;
    }

    @Override
    public CanonicalChunk decodeChunk(CanonicalRequest request, byte[] event) {
        throw new UnsupportedOperationException("/score does not stream");
    }
}
