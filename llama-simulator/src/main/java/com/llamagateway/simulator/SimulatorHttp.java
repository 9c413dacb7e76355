package com.llamagateway.simulator;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ReactiveHttpOutputMessage;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** HTTP helpers shared by the simulated APIs. */
final class SimulatorHttp {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private SimulatorHttp() {
    }

    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    static Mono<ServerResponse> json(HttpStatus status, JsonNode body) {
        return json(status, body, (Long) null);
    }

    /** @param retryAfterSeconds sent as {@code retry-after} when not null */
    static Mono<ServerResponse> json(HttpStatus status, JsonNode body, Long retryAfterSeconds) {
        return json(status, body, retryAfterSeconds == null ? java.util.Map.of() : java.util.Map.of("retry-after", retryAfterSeconds.toString()));
    }

    static Mono<ServerResponse> json(HttpStatus status, JsonNode body, java.util.Map<String, String> headers) {
        ServerResponse.BodyBuilder builder = ServerResponse.status(status).contentType(MediaType.APPLICATION_JSON);
        headers.forEach(builder::header);
        return builder.bodyValue(JSON.writeValueAsString(body));
    }

    /**
     * Azure OpenAI's wait hint on a 429 (the serverless Llama APIs document none): {@code retry-after} in whole
     * seconds, rounded up, and {@code retry-after-ms}.
     */
    static java.util.Map<String, String> retryAfter(java.time.Duration wait) {
        long millis = wait.toMillis();
        return java.util.Map.of("retry-after", Long.toString(Math.max(1, (millis + 999) / 1000)), "retry-after-ms", Long.toString(millis));
    }

    /** Azure's error envelope: {@code {"error":{"code","message","status"}}}. */
    static Mono<ServerResponse> azureError(int status, String code, String message) {
        return azureError(status, code, message, (Long) null);
    }

    static Mono<ServerResponse> azureError(int status, String code, String message, Long retryAfterSeconds) {
        return azureError(status, code, message,
                retryAfterSeconds == null ? java.util.Map.of() : java.util.Map.of("retry-after", retryAfterSeconds.toString()));
    }

    static Mono<ServerResponse> azureError(int status, String code, String message, java.util.Map<String, String> headers) {
        ObjectNode body = object();
        ObjectNode error = body.putObject("error");
        error.put("code", code);
        error.put("message", message);
        error.put("status", status);
        return json(HttpStatus.valueOf(status), body, headers);
    }

    /** The Llama API's (OpenAI-compatible) error envelope: {@code {"error":{"message","type","param","code"}}}. */
    static Mono<ServerResponse> llamaError(int status, String type, String param, String message) {
        return llamaError(status, type, param, message, (Long) null);
    }

    static Mono<ServerResponse> llamaError(int status, String type, String param, String message, Long retryAfterSeconds) {
        return llamaError(status, type, param, message,
                retryAfterSeconds == null ? java.util.Map.of() : java.util.Map.of("retry-after", retryAfterSeconds.toString()));
    }

    static Mono<ServerResponse> llamaError(int status, String type, String param, String message, java.util.Map<String, String> headers) {
        ObjectNode body = object();
        ObjectNode error = body.putObject("error");
        error.put("message", message);
        error.put("type", type);
        if (param == null) {
            error.putNull("param");
        } else {
            error.put("param", param);
        }
        error.put("code", status);
        return json(HttpStatus.valueOf(status), body, headers);
    }

    /** Server-sent events, each frame flushed as soon as it is produced. */
    static Mono<ServerResponse> eventStream(Flux<String> dataFrames) {
        // the status and headers go out at once, before the first event, as a server that starts generating does
        BodyInserter<Flux<String>, ReactiveHttpOutputMessage> inserter = (message, context) -> message.writeAndFlushWith(
                Flux.concat(Flux.just(Mono.<DataBuffer>empty()),
                        dataFrames.map(data -> Mono.just(message.bufferFactory().wrap(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8))))));
        return ServerResponse.ok().contentType(MediaType.TEXT_EVENT_STREAM).header(HttpHeaders.CACHE_CONTROL, "no-cache").body(inserter);
    }

    /** Bearer key, bare key in {@code Authorization} (as the Azure SDK sends it) or {@code api-key}. */
    static boolean authorized(ServerRequest request, String apiKey) {
        String apiKeyHeader = request.headers().firstHeader("api-key");
        if (apiKey.equals(apiKeyHeader)) {
            return true;
        }
        String authorization = request.headers().firstHeader(HttpHeaders.AUTHORIZATION);
        if (authorization == null) {
            return false;
        }
        String token = authorization.regionMatches(true, 0, "Bearer ", 0, 7) ? authorization.substring(7).trim() : authorization.trim();
        return apiKey.equals(token);
    }

    static Map<String, String> headers(ServerRequest request) {
        Map<String, String> headers = new LinkedHashMap<>();
        request.headers().asHttpHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), String.join(",", values)));
        return headers;
    }
}
