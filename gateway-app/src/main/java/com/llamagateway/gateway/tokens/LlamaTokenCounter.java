package com.llamagateway.gateway.tokens;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.llamagateway.gateway.protocol.CanonicalRequest;
import com.llamagateway.gateway.protocol.ChatMessage;
import com.llamagateway.gateway.protocol.Operation;

/**
 * Counts tokens for Llama 3 models: text with a byte-pair encoding of Llama 3's tokenizer family (cl100k_base
 * ranks, which Llama 3's first 100k ranks follow), user text counted as ordinary text (special-token look-alikes
 * in user input are not special), plus the Llama 3 chat template's markers per message.
 */
public final class LlamaTokenCounter {

    /** {@code <|begin_of_text|>} and the assistant header the template ends with. */
    static final int CHAT_PRIMING_TOKENS = 5;
    /** {@code <|start_header_id|>} role {@code <|end_header_id|>} {@code \n\n} … {@code <|eot_id|>}. */
    static final int CHAT_TOKENS_PER_MESSAGE = 5;

    private final Encoding encoding = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);

    public int count(String text) {
        return text == null || text.isEmpty() ? 0 : encoding.countTokensOrdinary(text);
    }

    /** The prompt as the model sees it, template included. */
    public int prompt(CanonicalRequest request) {
        if (request.operation() == Operation.CHAT) {
            int total = CHAT_PRIMING_TOKENS;
            for (ChatMessage message : request.messages()) {
                total += CHAT_TOKENS_PER_MESSAGE + count(message.text());
                for (ChatMessage.ToolCall call : message.toolCalls()) {
                    total += count(call.name()) + count(call.arguments());
                }
            }
            return total;
        }
        int total = 0;
        for (String prompt : request.promptTexts()) {
            total += 1 + count(prompt);
        }
        if (request.prompt() != null && request.prompt().isArray()) {
            for (var item : request.prompt()) {
                total += item.isIntegralNumber() ? 1 : item.isArray() ? item.size() + 1 : 0;
            }
        }
        return total;
    }
}
