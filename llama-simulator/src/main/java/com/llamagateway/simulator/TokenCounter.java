package com.llamagateway.simulator;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;

import java.util.List;

/**
 * Counts tokens the way a Llama 3 server bills them: the prompt is rendered with the Llama 3 chat template and
 * every header, end-of-turn and begin-of-text marker counts as one token. Text is counted with a BPE encoding
 * whose first 100k ranks are those of Llama 3's tokenizer family (cl100k_base).
 */
final class TokenCounter {

    private static final Encoding ENCODING = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);

    /** {@code <|begin_of_text|>} plus the trailing {@code <|start_header_id|>assistant<|end_header_id|>\n\n}. */
    private static final int TEMPLATE_PRIMING = 1 + 4;
    /** {@code <|start_header_id|>}, role, {@code <|end_header_id|>}, {@code \n\n}, {@code <|eot_id|>}. */
    private static final int TEMPLATE_PER_MESSAGE = 5;

    private TokenCounter() {
    }

    static int count(String text) {
        return text == null || text.isEmpty() ? 0 : ENCODING.countTokensOrdinary(text);
    }

    static int chatPrompt(List<String> messageTexts) {
        int total = TEMPLATE_PRIMING;
        for (String text : messageTexts) {
            total += TEMPLATE_PER_MESSAGE + count(text);
        }
        return total;
    }

    static int textPrompt(String prompt) {
        return 1 + count(prompt);
    }
}
