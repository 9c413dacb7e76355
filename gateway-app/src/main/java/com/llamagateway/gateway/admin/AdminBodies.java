package com.llamagateway.gateway.admin;

import com.llamagateway.gateway.quota.ScopeLimits;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.team.TeamError;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reading admin request bodies field by field, naming the offending field. */
final class AdminBodies {

    private AdminBodies() {
    }

    /**
     * An admin body, read as client bodies are (strict UTF-8, one document, no key twice, exact numbers): 400
     * {@code invalid_body} with the reason otherwise.
     */
    static JsonNode read(Json json, byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new TeamError(HttpStatus.BAD_REQUEST, "invalid_body", null, "The body is missing: a JSON object is expected.");
        }
        try {
            return json.read(bytes);
        } catch (GatewayError e) {
            throw new TeamError(HttpStatus.BAD_REQUEST, "invalid_body", null, e.getMessage());
        }
    }

    static void requireObject(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw TeamError.invalid(null, "The body must be a JSON object.");
        }
    }

    /** A string field, or null when absent or null; no control character but tab and line breaks, no lone surrogate. */
    static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isString()) {
            throw TeamError.invalid(field, "'" + field + "' must be a string.");
        }
        String text = value.stringValue();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c) && c != '\t' && c != '\n' && c != '\r') {
                throw TeamError.invalid(field, "'" + field + "' must not contain control characters (found U+"
                        + String.format("%04X", (int) c) + " at " + i + ").");
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw TeamError.invalid(field, "'" + field + "' must not contain an unpaired surrogate (at " + i + ").");
            }
        }
        return text;
    }

    /** The latest instant the databases (and ISO-8601 without a sign) hold. */
    static final java.time.Instant LATEST = java.time.Instant.parse("9999-12-31T23:59:59Z");

    /** A limit per minute: a whole number from 1 to 10^12; null (or absent) only where {@code required} is false. */
    static Long perMinute(JsonNode body, String field, boolean required) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw TeamError.invalid(field, "'" + field + "' is required: a whole number of at least 1.");
            }
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 1 || value.asLong() > ScopeLimits.MAX_PER_MINUTE) {
            throw TeamError.invalid(field, "'" + field + "' must be a whole number from 1 to " + ScopeLimits.MAX_PER_MINUTE
                    + (required ? "." : ", or null for no limit."));
        }
        return value.asLong();
    }

    /** {@code models}: a list of names, or empty for null (every model). */
    static Optional<List<String>> models(JsonNode body) {
        JsonNode value = body.get("models");
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isArray()) {
            throw TeamError.invalid("models", "'models' must be a list of model names, or null for every model.");
        }
        List<String> models = new ArrayList<>();
        for (int i = 0; i < value.size(); i++) {
            if (!value.get(i).isString()) {
                throw TeamError.invalid("models[" + i + "]", "'models[" + i + "]' must be a string.");
            }
            models.add(value.get(i).stringValue());
        }
        return Optional.of(models);
    }
}
