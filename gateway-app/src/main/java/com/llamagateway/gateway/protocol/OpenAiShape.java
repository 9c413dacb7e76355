package com.llamagateway.gateway.protocol;

import com.llamagateway.gateway.RandomIds;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reading and writing the OpenAI-shaped JSON that the v1 and azure-inference dialects share (messages, choices,
 * chunks, usage). Pure functions; the dialects decide which fields are theirs and how extras are treated.
 */
public final class OpenAiShape {

    /** Fields the canonical request models with a type of its own. */
    static final Set<String> STRUCTURAL = Set.of("model", "messages", "prompt", "stream", "stream_options", "max_tokens",
            "max_completion_tokens", "n", "stop", "tools", "tool_choice", "response_format");
    /** Generation parameters of the Llama and OpenAI request tables, carried as sent. */
    static final Set<String> PARAMETERS = Set.of("temperature", "top_p", "presence_penalty", "frequency_penalty", "seed",
            "best_of", "logprobs", "top_logprobs", "ignore_eos", "use_beam_search", "stop_token_ids", "skip_special_tokens",
            "logit_bias", "user", "modalities", "parallel_tool_calls", "echo", "suffix");
    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool", "developer");
    /** Fields the canonical model names at each level; the others travel along as extras. */
    private static final Set<String> MESSAGE_FIELDS = Set.of("role", "content", "name", "tool_calls", "tool_call_id");
    static final Set<String> ANSWER_FIELDS = Set.of("id", "object", "created", "model", "choices", "usage", "system_fingerprint");
    static final Set<String> CHOICE_FIELDS = Set.of("index", "message", "delta", "text", "finish_reason", "logprobs");
    static final Set<String> DELTA_FIELDS = Set.of("role", "content", "tool_calls");

    private OpenAiShape() {
    }

    /** What to do with a body field the caller's dialect does not define. */
    public enum ExtraPolicy { KEEP, DROP, REFUSE }

    /**
     * Reads a request body.
     *
     * @param nativeFields the fields the caller's dialect defines; the others are handled by {@code policy}
     */
    static CanonicalRequest readRequest(Operation operation, JsonNode body, Set<String> nativeFields, ExtraPolicy policy) {
        if (body == null || !body.isObject()) {
            throw GatewayError.badRequest(ErrorCode.INVALID_TYPE, null, "The request body must be a JSON object.");
        }
        Set<String> refused = new TreeSet<>();
        Map<String, JsonNode> fields = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : body.properties()) {
            String name = field.getKey();
            if (!nativeFields.contains(name)) {
                if (policy == ExtraPolicy.REFUSE) {
                    refused.add(name);
                    continue;
                }
                if (policy == ExtraPolicy.DROP) {
                    continue;
                }
            }
            fields.put(name, field.getValue());
        }
        if (!refused.isEmpty()) {
            throw GatewayError.badRequest(ErrorCode.EXTRA_PARAMETERS_NOT_ALLOWED, refused.iterator().next(),
                    "Extra parameters " + refused + " are not allowed when extra-parameters is not set or set to 'error'. "
                            + "Set the extra-parameters header to 'pass-through' to pass them to the model, or to 'drop' to ignore them.");
        }
        String model = optionalString(fields, "model");
        List<ChatMessage> messages = List.of();
        JsonNode prompt = null;
        if (operation == Operation.CHAT) {
            messages = readMessages(fields.get("messages"));
        } else {
            prompt = readPrompt(fields.get("prompt"));
        }
        Boolean stream = optionalBoolean(fields, "stream");
        boolean includeUsage = false;
        JsonNode streamOptions = fields.get("stream_options");
        if (streamOptions != null && !streamOptions.isNull()) {
            if (!streamOptions.isObject()) {
                throw GatewayError.invalidType("stream_options", "an object");
            }
            JsonNode flag = streamOptions.get("include_usage");
            if (flag != null && !flag.isNull() && !flag.isBoolean()) {
                throw GatewayError.invalidType("stream_options.include_usage", "a boolean");
            }
            includeUsage = flag != null && flag.asBoolean(false);
        }
        Integer maxTokens = optionalInt(fields, "max_tokens", 0);
        Integer maxCompletionTokens = optionalInt(fields, "max_completion_tokens", 0);
        Integer n = optionalInt(fields, "n", 1);
        List<String> stop = readStop(fields.get("stop"));
        JsonNode tools = optionalArray(fields, "tools");
        if (tools != null && !tools.isNull()) {
            for (int t = 0; t < tools.size(); t++) {
                JsonNode tool = tools.get(t);
                if (!tool.isObject() || !tool.path("function").isObject()) {
                    throw GatewayError.invalidType("tools[" + t + "]", "a tool object with a 'function' object");
                }
                if (!tool.path("function").path("name").isString()) {
                    throw GatewayError.invalidType("tools[" + t + "].function.name", "a string");
                }
            }
        }
        JsonNode toolChoice = fields.get("tool_choice");
        if (toolChoice != null && !toolChoice.isNull() && !toolChoice.isString() && !toolChoice.isObject()) {
            throw GatewayError.invalidType("tool_choice", "a string or an object");
        }
        JsonNode responseFormat = fields.get("response_format");
        if (responseFormat != null && !responseFormat.isNull() && !responseFormat.isObject() && !responseFormat.isString()) {
            throw GatewayError.invalidType("response_format", "an object");
        }
        Map<String, JsonNode> parameters = new LinkedHashMap<>();
        Map<String, JsonNode> extras = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : fields.entrySet()) {
            String name = field.getKey();
            if (STRUCTURAL.contains(name)) {
                continue;
            }
            if (PARAMETERS.contains(name)) {
                checkParameter(name, field.getValue());
                parameters.put(name, field.getValue());
            } else {
                extras.put(name, field.getValue());
            }
        }
        return new CanonicalRequest(operation, model, messages, prompt, Boolean.TRUE.equals(stream), includeUsage,
                maxTokens != null ? maxTokens : maxCompletionTokens, n, stop, nullIfJsonNull(tools), nullIfJsonNull(toolChoice),
                nullIfJsonNull(responseFormat), parameters, extras);
    }

    private static JsonNode nullIfJsonNull(JsonNode node) {
        return node == null || node.isNull() ? null : node;
    }

    private static void checkParameter(String name, JsonNode value) {
        if (value.isNull()) {
            return;
        }
        boolean ok = switch (name) {
            case "temperature", "top_p", "presence_penalty", "frequency_penalty" -> value.isNumber();
            case "seed", "best_of", "top_logprobs" -> value.isIntegralNumber();
            case "logprobs" -> value.isIntegralNumber() || value.isBoolean();
            case "ignore_eos", "use_beam_search", "skip_special_tokens", "echo", "parallel_tool_calls" -> value.isBoolean();
            case "stop_token_ids" -> value.isArray() && allMatch(value, JsonNode::isIntegralNumber);
            case "logit_bias" -> value.isObject();
            case "user", "suffix" -> value.isString();
            case "modalities" -> value.isArray();
            default -> true;
        };
        if (!ok) {
            throw GatewayError.invalidType(name, switch (name) {
                case "temperature", "top_p", "presence_penalty", "frequency_penalty" -> "a number";
                case "seed", "best_of", "top_logprobs" -> "an integer";
                case "logprobs" -> "an integer or a boolean";
                case "stop_token_ids" -> "an array of integers";
                case "logit_bias" -> "an object";
                case "user", "suffix" -> "a string";
                case "modalities" -> "an array";
                default -> "a boolean";
            });
        }
        if (value.isNumber() && !finite(value)) {
            throw GatewayError.badRequest(ErrorCode.INVALID_VALUE, name, "'" + name + "' must be a finite number.");
        }
    }

    /** Client numbers are read as BigDecimal: finite when a double holds them (1e999 does not). */
    private static boolean finite(JsonNode number) {
        try {
            return Double.isFinite(number.decimalValue().doubleValue());
        } catch (RuntimeException e) {
            return false; // NaN or an infinity that is already a double
        }
    }

    private static boolean allMatch(JsonNode array, java.util.function.Predicate<JsonNode> test) {
        for (JsonNode item : array) {
            if (!test.test(item)) {
                return false;
            }
        }
        return true;
    }

    private static List<ChatMessage> readMessages(JsonNode messages) {
        if (messages == null || messages.isNull()) {
            throw GatewayError.missing("messages");
        }
        if (!messages.isArray()) {
            throw GatewayError.invalidType("messages", "an array of messages");
        }
        if (messages.isEmpty()) {
            throw GatewayError.badRequest(ErrorCode.INVALID_VALUE, "messages", "'messages' must contain at least one message.");
        }
        List<ChatMessage> result = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            result.add(readMessage(messages.get(i), "messages[" + i + "]"));
        }
        return result;
    }

    private static ChatMessage readMessage(JsonNode message, String path) {
        if (!message.isObject()) {
            throw GatewayError.invalidType(path, "an object");
        }
        JsonNode role = message.get("role");
        if (role == null || role.isNull()) {
            throw GatewayError.missing(path + ".role");
        }
        if (!role.isString() || !ROLES.contains(role.stringValue())) {
            throw GatewayError.badRequest(ErrorCode.INVALID_VALUE, path + ".role",
                    "'" + path + ".role' must be one of system, user, assistant, tool, developer.");
        }
        JsonNode content = message.get("content");
        if (content != null && !content.isNull()) {
            if (content.isArray()) {
                for (int p = 0; p < content.size(); p++) {
                    JsonNode part = content.get(p);
                    if (!part.isObject() || !part.path("type").isString()) {
                        throw GatewayError.invalidType(path + ".content[" + p + "]", "a content part object with a 'type'");
                    }
                    if ("text".equals(part.get("type").stringValue()) && !part.path("text").isString()) {
                        throw GatewayError.invalidType(path + ".content[" + p + "].text", "a string");
                    }
                }
            } else if (!content.isString()) {
                throw GatewayError.invalidType(path + ".content", "a string or an array of content parts");
            }
        } else if (!"assistant".equals(role.stringValue())) {
            throw GatewayError.missing(path + ".content");
        }
        List<ChatMessage.ToolCall> toolCalls = new ArrayList<>();
        JsonNode calls = message.get("tool_calls");
        if (calls != null && !calls.isNull()) {
            if (!calls.isArray()) {
                throw GatewayError.invalidType(path + ".tool_calls", "an array");
            }
            for (int c = 0; c < calls.size(); c++) {
                toolCalls.add(readToolCall(calls.get(c), path + ".tool_calls[" + c + "]"));
            }
        }
        JsonNode toolCallId = message.get("tool_call_id");
        if ("tool".equals(role.stringValue()) && (toolCallId == null || !toolCallId.isString())) {
            throw GatewayError.missing(path + ".tool_call_id");
        }
        JsonNode name = message.get("name");
        return new ChatMessage(role.stringValue(), content == null || content.isNull() ? null : content,
                name != null && name.isString() ? name.stringValue() : null, toolCalls,
                toolCallId != null && toolCallId.isString() ? toolCallId.stringValue() : null, Extras.of(message, MESSAGE_FIELDS));
    }

    /** A tool call of an assistant message in a prompt: {@code {"id", "type": "function", "function": {"name", "arguments"}}}. */
    private static ChatMessage.ToolCall readToolCall(JsonNode call, String path) {
        if (!call.isObject()) {
            throw GatewayError.invalidType(path, "an object");
        }
        JsonNode type = call.get("type");
        if (type != null && !type.isNull() && !(type.isString() && "function".equals(type.stringValue()))) {
            throw GatewayError.badRequest(ErrorCode.INVALID_VALUE, path + ".type", "'" + path + ".type' must be 'function'.");
        }
        JsonNode function = call.get("function");
        if (function == null || function.isNull()) {
            throw GatewayError.missing(path + ".function");
        }
        if (!function.isObject()) {
            throw GatewayError.invalidType(path + ".function", "an object");
        }
        JsonNode name = function.get("name");
        if (name == null || name.isNull()) {
            throw GatewayError.missing(path + ".function.name");
        }
        if (!name.isString()) {
            throw GatewayError.invalidType(path + ".function.name", "a string");
        }
        JsonNode arguments = function.get("arguments");
        if (arguments != null && !arguments.isNull() && !arguments.isString()) {
            throw GatewayError.invalidType(path + ".function.arguments", "a string");
        }
        JsonNode id = call.get("id");
        if (id != null && !id.isNull() && !id.isString()) {
            throw GatewayError.invalidType(path + ".id", "a string");
        }
        return new ChatMessage.ToolCall(id == null || id.isNull() ? null : id.stringValue(), "function", name.stringValue(),
                arguments == null || arguments.isNull() ? null : arguments.stringValue());
    }

    private static JsonNode readPrompt(JsonNode prompt) {
        if (prompt == null || prompt.isNull()) {
            throw GatewayError.missing("prompt");
        }
        if (prompt.isString()) {
            return prompt;
        }
        if (prompt.isArray() && !prompt.isEmpty()) {
            for (JsonNode item : prompt) {
                if (!item.isString() && !item.isIntegralNumber() && !(item.isArray() && allMatch(item, JsonNode::isIntegralNumber))) {
                    throw GatewayError.invalidType("prompt", "a string, an array of strings, an array of tokens or an array of token arrays");
                }
            }
            return prompt;
        }
        throw GatewayError.invalidType("prompt", "a string, an array of strings, an array of tokens or an array of token arrays");
    }

    private static List<String> readStop(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return null;
        }
        if (stop.isString()) {
            return List.of(stop.stringValue());
        }
        if (stop.isArray() && allMatch(stop, JsonNode::isString)) {
            List<String> values = new ArrayList<>();
            stop.forEach(s -> values.add(s.stringValue()));
            return values;
        }
        throw GatewayError.invalidType("stop", "a string or an array of strings");
    }

    private static String optionalString(Map<String, JsonNode> fields, String name) {
        JsonNode value = fields.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isString()) {
            throw GatewayError.invalidType(name, "a string");
        }
        return value.stringValue();
    }

    private static Boolean optionalBoolean(Map<String, JsonNode> fields, String name) {
        JsonNode value = fields.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isBoolean()) {
            throw GatewayError.invalidType(name, "a boolean");
        }
        return value.booleanValue();
    }

    private static Integer optionalInt(Map<String, JsonNode> fields, String name, int minimum) {
        JsonNode value = fields.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw GatewayError.invalidType(name, "an integer");
        }
        if (value.intValue() < minimum) {
            throw GatewayError.badRequest(ErrorCode.INVALID_VALUE, name, "'" + name + "' must be at least " + minimum + ".");
        }
        return value.intValue();
    }

    private static JsonNode optionalArray(Map<String, JsonNode> fields, String name) {
        JsonNode value = fields.get(name);
        if (value != null && !value.isNull() && !value.isArray()) {
            throw GatewayError.invalidType(name, "an array");
        }
        return value;
    }

    // ---------------------------------------------------------------- writing requests (to a deployment)

    /** The request body for an OpenAI-shaped backend, every field the caller sent that the gateway forwards. */
    static ObjectNode writeRequest(Json json, CanonicalRequest request, String model) {
        ObjectNode body = json.object();
        if (model != null) {
            body.put("model", model);
        }
        if (request.operation() == Operation.CHAT) {
            ArrayNode messages = body.putArray("messages");
            request.messages().forEach(m -> messages.add(writeMessage(json, m)));
        } else {
            body.set("prompt", request.prompt());
        }
        if (request.maxTokens() != null) {
            body.put("max_tokens", request.maxTokens());
        }
        if (request.n() != null) {
            body.put("n", request.n());
        }
        if (request.stop() != null) {
            ArrayNode stop = body.putArray("stop");
            request.stop().forEach(stop::add);
        }
        putIfPresent(body, "tools", request.tools());
        putIfPresent(body, "tool_choice", request.toolChoice());
        putIfPresent(body, "response_format", request.responseFormat());
        request.parameters().forEach(body::set);
        request.extras().forEach(body::set);
        if (request.stream()) {
            body.put("stream", true);
            body.putObject("stream_options").put("include_usage", true);
        }
        return body;
    }

    private static void putIfPresent(ObjectNode body, String name, JsonNode value) {
        if (value != null) {
            body.set(name, value);
        }
    }

    static ObjectNode writeMessage(Json json, ChatMessage message) {
        ObjectNode node = json.object();
        node.put("role", message.role());
        if (message.content() == null) {
            node.putNull("content");
        } else {
            node.set("content", message.content());
        }
        if (message.name() != null) {
            node.put("name", message.name());
        }
        if (!message.toolCalls().isEmpty()) {
            ArrayNode calls = node.putArray("tool_calls");
            for (ChatMessage.ToolCall call : message.toolCalls()) {
                ObjectNode c = calls.addObject();
                c.put("id", call.id());
                c.put("type", call.type() == null ? "function" : call.type());
                c.putObject("function").put("name", call.name()).put("arguments", call.arguments());
            }
        }
        if (message.toolCallId() != null) {
            node.put("tool_call_id", message.toolCallId());
        }
        Extras.write(node, message.extras());
        return node;
    }

    // ---------------------------------------------------------------- reading answers (from a deployment)

    static CanonicalResponse readResponse(Operation operation, JsonNode body) {
        if (!body.isObject() || !body.path("choices").isArray()) {
            throw UpstreamFormat.unreadable("an answer without 'choices'");
        }
        List<CanonicalResponse.Choice> choices = new ArrayList<>();
        int position = 0;
        for (JsonNode choice : body.get("choices")) {
            int index = choice.path("index").asInt(position++);
            JsonNode logprobs = nullIfJsonNull(choice.get("logprobs"));
            String finish = choice.path("finish_reason").asString(null);
            if (operation == Operation.CHAT) {
                JsonNode message = choice.path("message");
                choices.add(new CanonicalResponse.Choice(index, readAnswerMessage(message), null, finish, logprobs,
                        Extras.of(choice, CHOICE_FIELDS)));
            } else {
                choices.add(new CanonicalResponse.Choice(index, null, choice.path("text").asString(""), finish, logprobs,
                        Extras.of(choice, CHOICE_FIELDS)));
            }
        }
        return new CanonicalResponse(operation, body.path("id").asString(""), body.path("created").asLong(0),
                body.path("model").asString(""), choices, readUsage(body.get("usage")), body.path("system_fingerprint").asString(null),
                Extras.of(body, ANSWER_FIELDS));
    }

    private static ChatMessage readAnswerMessage(JsonNode message) {
        List<ChatMessage.ToolCall> calls = new ArrayList<>();
        JsonNode toolCalls = message.path("tool_calls");
        if (toolCalls.isArray()) {
            for (JsonNode call : toolCalls) {
                calls.add(new ChatMessage.ToolCall(call.path("id").asString(null), call.path("type").asString("function"),
                        call.path("function").path("name").asString(null), call.path("function").path("arguments").asString("")));
            }
        }
        JsonNode content = message.get("content");
        return new ChatMessage(message.path("role").asString("assistant"), content == null || content.isNull() ? null : content,
                null, calls, null, Extras.of(message, MESSAGE_FIELDS));
    }

    static Usage readUsage(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return null;
        }
        int prompt = usage.path("prompt_tokens").asInt(0);
        int completion = usage.path("completion_tokens").asInt(0);
        return new Usage(prompt, completion, usage.path("total_tokens").asInt(prompt + completion));
    }

    /**
     * One stream event, from its tree: what an event means. {@link StreamEvents#read} reads the usual events without
     * a tree and comes here for the others.
     */
    static CanonicalChunk readChunk(Operation operation, JsonNode chunk) {
        if (!chunk.isObject()) {
            throw UpstreamFormat.unreadable("a stream event that is not a JSON object");
        }
        List<CanonicalChunk.Choice> choices = new ArrayList<>();
        JsonNode list = chunk.path("choices");
        int position = 0;
        for (JsonNode choice : list) {
            int index = choice.path("index").asInt(position++);
            String finish = choice.path("finish_reason").asString(null);
            JsonNode logprobs = nullIfJsonNull(choice.get("logprobs"));
            if (operation == Operation.CHAT) {
                JsonNode delta = choice.path("delta");
                List<CanonicalChunk.ToolCallDelta> calls = new ArrayList<>();
                for (JsonNode call : delta.path("tool_calls")) {
                    JsonNode index0 = call.get("index");
                    calls.add(new CanonicalChunk.ToolCallDelta(index0 != null && index0.isIntegralNumber() ? index0.intValue() : null,
                            call.path("id").asString(null), call.path("type").asString(null),
                            call.path("function").path("name").asString(null), call.path("function").path("arguments").asString(null)));
                }
                choices.add(new CanonicalChunk.Choice(index, new CanonicalChunk.Delta(delta.path("role").asString(null),
                        delta.path("content").asString(null), calls, Extras.of(delta, DELTA_FIELDS)), null, finish, logprobs,
                        Extras.of(choice, CHOICE_FIELDS)));
            } else {
                choices.add(new CanonicalChunk.Choice(index, null, choice.path("text").asString(""), finish, logprobs,
                        Extras.of(choice, CHOICE_FIELDS)));
            }
        }
        return new CanonicalChunk(operation, chunk.path("id").asString(""), chunk.path("created").asLong(0),
                chunk.path("model").asString(""), choices, readUsage(chunk.get("usage")), Extras.of(chunk, ANSWER_FIELDS));
    }

    // ---------------------------------------------------------------- writing answers (to the caller)

    static ObjectNode writeResponse(Json json, CanonicalResponse response) {
        boolean chat = response.operation() == Operation.CHAT;
        ObjectNode body = envelope(json, response.id(), chat ? "chat.completion" : "text_completion", response.created(), response.model());
        ArrayNode choices = body.putArray("choices");
        for (CanonicalResponse.Choice choice : response.choices()) {
            ObjectNode c = choices.addObject();
            c.put("index", choice.index());
            if (chat) {
                ObjectNode message = writeMessage(json, choice.message());
                if (!message.has("content")) {
                    message.putNull("content");
                }
                c.set("message", message);
            } else {
                c.put("text", choice.text());
            }
            c.put("finish_reason", choice.finishReason());
            c.set("logprobs", choice.logprobs());
            Extras.write(c, choice.extras());
        }
        if (response.usage() != null) {
            body.set("usage", writeUsage(json, response.usage()));
        }
        if (response.systemFingerprint() != null) {
            body.put("system_fingerprint", response.systemFingerprint());
        }
        Extras.write(body, response.extras());
        return body;
    }

    private static ObjectNode envelope(Json json, String id, String object, long created, String model) {
        ObjectNode body = json.object();
        body.put("id", id);
        body.put("object", object);
        body.put("created", created);
        body.put("model", model);
        return body;
    }

    static ObjectNode writeUsage(Json json, Usage usage) {
        ObjectNode node = json.object();
        node.put("prompt_tokens", usage.promptTokens());
        node.put("completion_tokens", usage.completionTokens());
        node.put("total_tokens", usage.totalTokens());
        return node;
    }

    /** An id in OpenAI's style for answers whose deployment gave none. */
    public static String newId(Operation operation) {
        return (operation == Operation.CHAT ? "chatcmpl-" : "cmpl-") + RandomIds.hex32();
    }
}
