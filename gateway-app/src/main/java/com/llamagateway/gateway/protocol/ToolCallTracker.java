package com.llamagateway.gateway.protocol;

import java.util.HashMap;
import java.util.Map;

/**
 * Gives every streamed tool-call fragment the {@code index} and {@code id} of the call it belongs to. OpenAI
 * clients accumulate fragments by {@code index}; the Model Inference spec has only {@code id}. One per stream.
 */
final class ToolCallTracker {

    /** A fragment placed: which call it belongs to and whether it opens that call. */
    record Fragment(int index, String id, boolean first) {
    }

    private final Map<Integer, Map<String, Integer>> indexById = new HashMap<>();
    private final Map<Integer, Map<Integer, String>> idByIndex = new HashMap<>();
    private final Map<Integer, Integer> lastIndex = new HashMap<>();

    Fragment track(int choice, CanonicalChunk.ToolCallDelta fragment) {
        Map<String, Integer> byId = indexById.computeIfAbsent(choice, c -> new HashMap<>());
        Map<Integer, String> ids = idByIndex.computeIfAbsent(choice, c -> new HashMap<>());
        Integer index = fragment.index();
        if (index == null) {
            if (fragment.id() != null) {
                index = byId.computeIfAbsent(fragment.id(), id -> byId.size());
            } else {
                index = lastIndex.getOrDefault(choice, 0);
            }
        }
        boolean first = !ids.containsKey(index);
        String id = fragment.id() != null ? fragment.id() : ids.get(index);
        if (id == null) {
            id = "call_" + choice + "_" + index;
        }
        if (first) {
            ids.put(index, id);
            byId.putIfAbsent(id, index);
        }
        lastIndex.put(choice, index);
        return new Fragment(index, ids.get(index), first);
    }
}
