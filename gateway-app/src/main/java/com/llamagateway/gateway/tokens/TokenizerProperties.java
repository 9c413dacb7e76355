package com.llamagateway.gateway.tokens;

import java.nio.file.Path;

/**
 * {@code gateway.tokenizer.*}: how prompt tokens are counted (docs/quotas.md, "How good is the prompt estimate").
 *
 * @param vocabulary Llama 3's BPE vocabulary, {@code tokenizer.model} as Meta distributes it (tiktoken format: one
 *                   base64 token and its rank per line); unset: {@code cl100k_base}, whose first 100,000 ranks Llama
 *                   3's vocabulary shares
 */
public record TokenizerProperties(Path vocabulary) {
}
