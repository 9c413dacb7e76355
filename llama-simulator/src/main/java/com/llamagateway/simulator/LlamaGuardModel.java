package com.llamagateway.simulator;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the simulated Llama Guard 3 answers: it reads the prompt of Llama Guard 3's template (meta-llama/llama-recipes
 * PROMPT_TEMPLATE_3) — the categories listed, the conversation, whose last message ({@code User} or {@code Agent})
 * to judge — and answers {@code safe} or {@code unsafe} with the listed categories whose flagged phrases that
 * message contains. Whitespace after the header may be one space or a blank line, as in the community copies.
 */
final class LlamaGuardModel {

    private static final String START = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>";
    private static final String END = "<|eot_id|><|start_header_id|>assistant<|end_header_id|>";
    private static final Pattern TASK = Pattern.compile(
            "^\\s*Task: Check if there is unsafe content in '(User|Agent)' messages in conversations according our safety policy with the below categories\\.");
    private static final Pattern CATEGORY = Pattern.compile("^(S\\d{1,2}): .+$", Pattern.MULTILINE);
    private static final Pattern TURN = Pattern.compile("^(User|Agent): ", Pattern.MULTILINE);

    private LlamaGuardModel() {
    }

    static String answer(boolean chat, List<String> promptTexts, List<SimulatedDeployment.Flag> flags, String nonsense) {
        if (promptTexts.isEmpty()) {
            return nonsense;
        }
        if (chat) { // the deployment's chat template judges the last message against every category
            return verdict(promptTexts.get(promptTexts.size() - 1), null, flags);
        }
        String prompt = promptTexts.get(0);
        if (!prompt.startsWith(START) || !prompt.strip().endsWith(END)) {
            return nonsense;
        }
        String body = prompt.substring(START.length(), prompt.lastIndexOf(END));
        Matcher task = TASK.matcher(body);
        String categories = between(body, "<BEGIN UNSAFE CONTENT CATEGORIES>\n", "\n<END UNSAFE CONTENT CATEGORIES>");
        String conversation = between(body, "<BEGIN CONVERSATION>\n\n", "\n\n<END CONVERSATION>");
        if (!task.find() || categories == null || conversation == null) {
            return nonsense;
        }
        String agentType = task.group(1);
        if (!body.contains("Provide your safety assessment for ONLY THE LAST " + agentType + " message in the above conversation:")) {
            return nonsense;
        }
        Set<String> listed = new LinkedHashSet<>();
        Matcher category = CATEGORY.matcher(categories);
        while (category.find()) {
            listed.add(category.group(1));
        }
        String judged = lastTurn(conversation, agentType);
        return judged == null ? nonsense : verdict(judged, listed, flags);
    }

    private static String verdict(String text, Set<String> listed, List<SimulatedDeployment.Flag> flags) {
        String lower = text.toLowerCase(Locale.ROOT);
        Set<String> violated = new LinkedHashSet<>();
        for (SimulatedDeployment.Flag flag : flags) {
            if ((listed == null || listed.contains(flag.category())) && lower.contains(flag.phrase().toLowerCase(Locale.ROOT))) {
                violated.add(flag.category());
            }
        }
        return violated.isEmpty() ? "safe" : "unsafe\n" + String.join(",", violated);
    }

    /** The text of the conversation's last turn of that agent type. */
    private static String lastTurn(String conversation, String agentType) {
        List<int[]> starts = new ArrayList<>();
        List<String> types = new ArrayList<>();
        Matcher turn = TURN.matcher(conversation);
        while (turn.find()) {
            starts.add(new int[]{turn.start(), turn.end()});
            types.add(turn.group(1));
        }
        for (int i = starts.size() - 1; i >= 0; i--) {
            if (types.get(i).equals(agentType)) {
                int end = i + 1 < starts.size() ? starts.get(i + 1)[0] : conversation.length();
                return conversation.substring(starts.get(i)[1], end);
            }
        }
        return null;
    }

    private static String between(String text, String open, String close) {
        int from = text.indexOf(open);
        int to = from < 0 ? -1 : text.indexOf(close, from + open.length());
        return to < 0 ? null : text.substring(from + open.length(), to);
    }
}
