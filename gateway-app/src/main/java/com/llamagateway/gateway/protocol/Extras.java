package com.llamagateway.gateway.protocol;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Fields a JSON object carries beyond those the canonical model names: kept in order, written back as they came. */
final class Extras {

    private Extras() {
    }

    static Map<String, JsonNode> copy(Map<String, JsonNode> extras) {
        return extras == null || extras.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extras));
    }

    /** The fields of {@code node} not in {@code known}. */
    static Map<String, JsonNode> of(JsonNode node, Set<String> known) {
        if (node == null || !node.isObject()) {
            return Map.of();
        }
        Map<String, JsonNode> extras = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!known.contains(field.getKey())) {
                extras.put(field.getKey(), field.getValue());
            }
        }
        return extras;
    }

    /** Writes the extras that do not collide with a field already written. */
    static void write(ObjectNode target, Map<String, JsonNode> extras) {
        extras.forEach((name, value) -> {
            if (!target.has(name)) {
                target.set(name, value);
            }
        });
    }
}
