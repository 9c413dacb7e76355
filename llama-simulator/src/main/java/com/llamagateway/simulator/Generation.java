package com.llamagateway.simulator;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deterministic "generation": the deployment's reply split into word pieces (one piece = one completion token),
 * cut at {@code max_tokens} ({@code finish_reason: length}) or before the first stop sequence
 * ({@code finish_reason: stop}, the stop sequence itself is not returned).
 */
record Generation(List<String> pieces, String finishReason) {

    private static final Pattern PIECE = Pattern.compile("\\s*\\S+");

    static Generation of(String reply, Integer maxTokens, List<String> stop) {
        List<String> all = new ArrayList<>();
        Matcher m = PIECE.matcher(reply);
        while (m.find()) {
            all.add(m.group());
        }
        String finish = "stop";
        List<String> pieces = all;
        if (maxTokens != null && maxTokens < all.size()) {
            pieces = all.subList(0, maxTokens);
            finish = "length";
        }
        if (stop != null && !stop.isEmpty()) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < pieces.size(); i++) {
                text.append(pieces.get(i));
                for (String s : stop) {
                    int at = s.isEmpty() ? -1 : text.indexOf(s);
                    if (at >= 0) {
                        List<String> cut = new ArrayList<>(pieces.subList(0, i));
                        int consumed = String.join("", cut).length();
                        if (at > consumed) {
                            cut.add(text.substring(consumed, at));
                        }
                        return new Generation(List.copyOf(cut), "stop");
                    }
                }
            }
        }
        return new Generation(List.copyOf(pieces), finish);
    }

    String text() {
        return String.join("", pieces);
    }

    int tokens() {
        return pieces.size();
    }
}
