package com.llamagateway.gateway.safety;

import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * How blocks reach the caller, in the shapes Azure OpenAI clients already read: {@code content_filter_results}
 * (on a filtered choice, and inside a refused prompt's {@code innererror} as {@code content_filter_result}) keyed by
 * category, {@code {"filtered": true, "severity": …, "filter": …}}, or {@code error} when a fail-closed filter could
 * not answer; and the {@code x-content-safety} header listing annotations.
 */
public final class ContentFilterResults {

    public static final String FIELD = "content_filter_results";
    public static final String ANNOTATIONS_HEADER = "x-content-safety";

    private ContentFilterResults() {
    }

    public static ObjectNode of(Finding finding) {
        ObjectNode results = JsonNodeFactory.instance.objectNode();
        if (finding.unavailable()) {
            ObjectNode error = results.putObject("error");
            error.put("code", Finding.UNAVAILABLE);
            error.put("message", "Content-safety filter '" + finding.filter() + "' could not screen the text.");
            error.put("filter", finding.filter());
            return results;
        }
        ObjectNode category = results.putObject(finding.category());
        category.put("filtered", true);
        if (finding.severity() != null) {
            category.put("severity", finding.severity());
        }
        category.put("filter", finding.filter());
        return results;
    }

    /** The refusal of a blocked prompt: 400 {@code content_filter}, or 503 when a fail-closed filter could not answer. */
    public static GatewayError refusal(Finding block) {
        ObjectNode inner = JsonNodeFactory.instance.objectNode();
        inner.put("code", "ResponsibleAIPolicyViolation");
        inner.set("content_filter_result", of(block));
        if (block.unavailable()) {
            return new GatewayError(HttpStatus.SERVICE_UNAVAILABLE, ErrorCode.CONTENT_FILTER_UNAVAILABLE,
                    "The prompt could not be screened: content-safety filter '" + block.filter() + "' did not answer. Retry later.",
                    "messages", Map.of("Retry-After", "1"), inner);
        }
        return new GatewayError(HttpStatus.BAD_REQUEST, ErrorCode.CONTENT_FILTER,
                "The prompt was blocked by the content-safety policy: filter '" + block.filter() + "', category '" + block.category()
                        + "'" + (block.reason() == null ? "." : " (" + block.reason() + ")."),
                "messages", null, inner);
    }

    /** {@code x-content-safety: filter:category, …} for annotations, or no header. */
    public static Map<String, String> annotationHeaders(List<Finding> annotations) {
        if (annotations.isEmpty()) {
            return Map.of();
        }
        return Map.of(ANNOTATIONS_HEADER, annotations.stream().map(Finding::label).distinct().collect(Collectors.joining(", ")));
    }
}
