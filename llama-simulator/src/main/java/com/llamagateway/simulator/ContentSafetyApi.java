package com.llamagateway.simulator;

import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

import static com.llamagateway.simulator.SimulatorHttp.JSON;
import static com.llamagateway.simulator.SimulatorHttp.object;

/**
 * Azure AI Content Safety's {@code POST /contentsafety/text:analyze?api-version=…} as its REST specification
 * (2023-10-01, 2024-09-01) describes it: {@code Ocp-Apim-Subscription-Key}, {@code AnalyzeTextOptions} in
 * ({@code text} up to 10,000 characters, {@code categories}, {@code outputType}), {@code AnalyzeTextResult} out
 * ({@code blocklistsMatch}, {@code categoriesAnalysis}), errors as {@code {"error":{"code","message"}}}. Severity
 * of a category is the highest of its flagged phrases found in the text (four levels: trimmed to 0, 2, 4, 6).
 */
final class ContentSafetyApi {

    static final List<String> CATEGORIES = List.of("Hate", "SelfHarm", "Sexual", "Violence");
    static final Set<String> API_VERSIONS = Set.of("2023-10-01", "2024-09-01", "2023-10-15-preview", "2024-02-15-preview",
            "2024-09-15-preview");
    static final int MAX_TEXT = 10_000;

    private final Function<String, SimulatedDeployment> resources;

    ContentSafetyApi(Function<String, SimulatedDeployment> resources) {
        this.resources = resources;
    }

    Mono<ServerResponse> analyze(ServerRequest request) {
        SimulatedDeployment resource = resources.apply(request.pathVariable("deployment"));
        if (resource == null || resource.kind() != DeploymentKind.CONTENT_SAFETY) {
            return error(404, "ResourceNotFound", "Resource not found");
        }
        if (!resource.apiKey().equals(request.headers().firstHeader("Ocp-Apim-Subscription-Key"))) {
            return error(401, "401", "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key"
                    + " for an active subscription and use a correct regional API endpoint for your resource.");
        }
        String version = request.queryParam("api-version").orElse(null);
        if (version == null || !API_VERSIONS.contains(version)) {
            return error(404, "ResourceNotFound", "Resource not found");
        }
        return request.bodyToMono(String.class).defaultIfEmpty("").flatMap(body -> {
            resource.stats().request(body, SimulatorHttp.headers(request));
            return Faulty.apply(resource, FaultStyle.AZURE, ignored -> {
                try {
                    return SimulatorHttp.json(HttpStatus.OK, analysis(JSON.readTree(body), resource.flags()));
                } catch (InvalidBody e) {
                    return error(400, "InvalidRequestBody", e.getMessage());
                } catch (JacksonException e) {
                    return error(400, "InvalidRequestBody", "The request body is not valid JSON.");
                }
            });
        });
    }

    static JsonNode analysis(JsonNode body, List<SimulatedDeployment.Flag> flags) {
        if (!body.isObject() || !body.path("text").isString()) {
            throw new InvalidBody("text is required and must be a string.");
        }
        String text = body.get("text").stringValue();
        if (text.codePointCount(0, text.length()) > MAX_TEXT) {
            throw new InvalidBody("text is longer than " + MAX_TEXT + " characters.");
        }
        List<String> categories = new ArrayList<>();
        JsonNode asked = body.get("categories");
        if (asked == null || asked.isNull() || asked.isEmpty()) {
            categories.addAll(CATEGORIES);
        } else {
            for (JsonNode category : asked) {
                if (!CATEGORIES.contains(category.asString(""))) {
                    throw new InvalidBody("categories contains an unknown category: " + category);
                }
                categories.add(category.asString());
            }
        }
        String outputType = body.path("outputType").asString("FourSeverityLevels");
        if (!outputType.equals("FourSeverityLevels") && !outputType.equals("EightSeverityLevels")) {
            throw new InvalidBody("outputType must be FourSeverityLevels or EightSeverityLevels.");
        }
        String lower = text.toLowerCase(Locale.ROOT);
        ObjectNode result = object();
        result.putArray("blocklistsMatch");
        ArrayNode analysis = result.putArray("categoriesAnalysis");
        for (String category : categories) {
            int severity = 0;
            for (SimulatedDeployment.Flag flag : flags) {
                if (flag.category().equals(category) && lower.contains(flag.phrase().toLowerCase(Locale.ROOT))) {
                    severity = Math.max(severity, flag.severity());
                }
            }
            analysis.addObject().put("category", category).put("severity", outputType.equals("FourSeverityLevels") ? severity / 2 * 2 : severity);
        }
        return result;
    }

    /** Content Safety's error envelope ({@code Azure.Core.Foundations.ErrorResponse}) with {@code x-ms-error-code}. */
    private static Mono<ServerResponse> error(int status, String code, String message) {
        ObjectNode body = object();
        body.putObject("error").put("code", code).put("message", message);
        return ServerResponse.status(status).contentType(org.springframework.http.MediaType.APPLICATION_JSON)
                .header("x-ms-error-code", code).bodyValue(JSON.writeValueAsString(body));
    }

    static final class InvalidBody extends RuntimeException {
        InvalidBody(String message) {
            super(message, null, false, false);
        }
    }
}
