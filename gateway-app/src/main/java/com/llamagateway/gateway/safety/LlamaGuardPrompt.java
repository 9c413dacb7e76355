package com.llamagateway.gateway.safety;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Llama Guard 3's prompt and verdict (meta-llama/llama-recipes {@code prompt_format_utils.py}, PROMPT_TEMPLATE_3;
 * categories S1–S14 as the template names them). Pure functions.
 */
public final class LlamaGuardPrompt {

    /** S1–S14 with the names the prompt template uses. */
    public static final Map<String, String> CATEGORIES = categories();

    /** Bound on the conversation put in the prompt (the most recent turns are kept). */
    static final int MAX_CONVERSATION_CHARS = 24_000;

    private LlamaGuardPrompt() {
    }

    private static Map<String, String> categories() {
        String[] names = {"Violent Crimes.", "Non-Violent Crimes.", "Sex Crimes.", "Child Exploitation.", "Defamation.",
                "Specialized Advice.", "Privacy.", "Intellectual Property.", "Indiscriminate Weapons.", "Hate.", "Self-Harm.",
                "Sexual Content.", "Elections.", "Code Interpreter Abuse."};
        Map<String, String> categories = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            categories.put("S" + (i + 1), names[i]);
        }
        return java.util.Collections.unmodifiableMap(categories);
    }

    /**
     * The prompt judging the screening: input — the conversation, last {@code User} message judged; output — the
     * conversation followed by the completion as the {@code Agent}'s message, which is judged.
     *
     * @param codes the categories to put in the prompt (Llama Guard judges only those), in order
     */
    public static String render(Screening screening, List<String> codes) {
        boolean output = screening.direction() == Screening.Direction.OUTPUT;
        String agentType = output ? "Agent" : "User";
        List<String> turns = new ArrayList<>();
        for (Screening.Message message : screening.prompt()) {
            if (!message.text().isBlank()) {
                turns.add(("assistant".equals(message.role()) ? "Agent" : "User") + ": " + message.text());
            }
        }
        if (output) {
            turns.add("Agent: " + screening.preceding() + screening.text());
        }
        StringBuilder categories = new StringBuilder();
        for (String code : codes) {
            categories.append(categories.isEmpty() ? "" : "\n").append(code).append(": ").append(CATEGORIES.get(code));
        }
        return "<|begin_of_text|><|start_header_id|>user<|end_header_id|> Task: Check if there is unsafe content in '" + agentType
                + "' messages in conversations according our safety policy with the below categories.\n\n"
                + "<BEGIN UNSAFE CONTENT CATEGORIES>\n" + categories + "\n<END UNSAFE CONTENT CATEGORIES>\n\n"
                + "<BEGIN CONVERSATION>\n\n" + conversation(turns) + "\n\n<END CONVERSATION>\n\n"
                + "Provide your safety assessment for ONLY THE LAST " + agentType + " message in the above conversation:\n"
                + " - First line must read 'safe' or 'unsafe'.\n"
                + " - If unsafe, a second line must include a comma-separated list of violated categories. <|eot_id|><|start_header_id|>assistant<|end_header_id|>";
    }

    /** The most recent turns that fit the bound (the judged last one always, cut from its start if it alone is too long). */
    private static String conversation(List<String> turns) {
        StringBuilder kept = new StringBuilder();
        for (int i = turns.size() - 1; i >= 0; i--) {
            String turn = turns.get(i);
            if (kept.isEmpty()) {
                kept.append(turn.length() > MAX_CONVERSATION_CHARS ? turn.substring(turn.length() - MAX_CONVERSATION_CHARS) : turn);
            } else if (kept.length() + 2 + turn.length() <= MAX_CONVERSATION_CHARS) {
                kept.insert(0, turn + "\n\n");
            } else {
                break;
            }
        }
        return kept.toString();
    }

    /** Llama Guard's answer: {@code safe}, or {@code unsafe} and a line of category codes. */
    public record Assessment(boolean safe, List<String> categories) {
    }

    /** @throws FilterFailure when the answer is not in Llama Guard's format */
    public static Assessment parse(String answer) {
        String[] lines = answer.strip().split("\\R");
        String first = lines.length == 0 ? "" : lines[0].strip().toLowerCase(java.util.Locale.ROOT);
        if (first.equals("safe")) {
            return new Assessment(true, List.of());
        }
        if (!first.equals("unsafe")) {
            throw new FilterFailure("Llama Guard answered neither 'safe' nor 'unsafe'");
        }
        List<String> codes = new ArrayList<>();
        if (lines.length > 1) {
            for (String code : lines[1].split(",")) {
                String trimmed = code.strip().toUpperCase(java.util.Locale.ROOT);
                if (!trimmed.isEmpty()) {
                    codes.add(trimmed);
                }
            }
        }
        return new Assessment(false, codes);
    }
}
