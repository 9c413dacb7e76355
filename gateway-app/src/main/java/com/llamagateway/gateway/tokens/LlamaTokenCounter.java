package com.llamagateway.gateway.tokens;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.GptBytePairEncodingParams;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.llamagateway.gateway.protocol.CanonicalRequest;
import com.llamagateway.gateway.protocol.ChatMessage;
import com.llamagateway.gateway.protocol.Operation;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Counts tokens for Llama 3 models: text with a byte-pair encoding — Llama 3's own vocabulary where the operator
 * supplies it ({@link #fromVocabulary}), else {@code cl100k_base}, whose ranks Llama 3's first 100,000 follow — user
 * text counted as ordinary text (special-token look-alikes in user input are not special), plus the Llama 3 chat
 * template's markers per message.
 * <p>
 * A prompt's texts are remembered with their count (up to {@link #PROMPT_CACHE_BYTES} of heap): the system
 * prompt comes back with every request of an application, and a chat's history with every turn, so a prompt is
 * counted about as fast as its new text. The count of a text is the same every time: remembering it changes no
 * figure.
 */
public final class LlamaTokenCounter {

    /** {@code <|begin_of_text|>} and the assistant header the template ends with. */
    static final int CHAT_PRIMING_TOKENS = 5;
    /** {@code <|start_header_id|>} role {@code <|end_header_id|>} {@code \n\n} … {@code <|eot_id|>}. */
    static final int CHAT_TOKENS_PER_MESSAGE = 5;

    /**
     * Llama 3's pre-tokenizer (meta-llama/llama3 {@code tokenizer.py}, {@code pat_str}); {@code \s} as Unicode white
     * space, as the Rust and Python regex engines behind tiktoken read it.
     */
    static final Pattern LLAMA3_PATTERN = Pattern.compile(
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    /** Prompt texts shorter than this are counted each time: looking them up would cost about as much. */
    static final int CACHED_FROM_CHARS = 32;
    /** The heap the remembered prompt texts may take, each weighed at two bytes a character plus its entry's objects. */
    static final long PROMPT_CACHE_BYTES = 16L << 20;

    private final Encoding encoding;
    private final String description;
    private final Cache<String, Integer> promptCounts = Caffeine.newBuilder()
            .maximumWeight(PROMPT_CACHE_BYTES)
            .weigher((String text, Integer tokens) -> 2 * text.length() + 128)
            .build();

    /** {@code cl100k_base}. */
    public LlamaTokenCounter() {
        this(Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE), "cl100k_base (the first 100,000 ranks of Llama 3's vocabulary)");
    }

    private LlamaTokenCounter(Encoding encoding, String description) {
        this.encoding = encoding;
        this.description = description;
    }

    /**
     * Llama 3's vocabulary from a file in tiktoken format ({@code tokenizer.model}): each line a base64-encoded token
     * and its rank.
     *
     * @throws IllegalArgumentException naming the file and line when it cannot be read as such
     */
    public static LlamaTokenCounter fromVocabulary(Path file) {
        Map<byte[], Integer> ranks = new HashMap<>();
        java.util.Set<Integer> seenRanks = new java.util.HashSet<>();
        java.util.Set<String> seenTokens = new java.util.HashSet<>();
        int lineNumber = 0;
        try (BufferedReader lines = Files.newBufferedReader(file, StandardCharsets.US_ASCII)) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                String[] parts = line.trim().split(" ");
                if (parts.length != 2) {
                    throw new IllegalArgumentException("expected '<base64 token> <rank>'");
                }
                int rank = Integer.parseInt(parts[1]);
                if (rank < 0 || !seenRanks.add(rank)) {
                    throw new IllegalArgumentException("rank " + rank + " is negative or appears twice");
                }
                if (!seenTokens.add(parts[0])) {
                    throw new IllegalArgumentException("token " + parts[0] + " appears twice");
                }
                ranks.put(Base64.getDecoder().decode(parts[0]), rank);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("gateway.tokenizer.vocabulary: cannot read " + file + " (" + e.getMessage() + ")", e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("gateway.tokenizer.vocabulary: " + file + " line " + lineNumber
                    + " is not a tiktoken vocabulary line (" + e.getMessage() + ")", e);
        }
        if (ranks.size() < 256) {
            throw new IllegalArgumentException("gateway.tokenizer.vocabulary: " + file + " holds " + ranks.size()
                    + " tokens; a byte-pair vocabulary holds at least the 256 single bytes");
        }
        String name = "llama3-" + Integer.toHexString(file.toAbsolutePath().toString().hashCode());
        Encoding encoding = Encodings.newLazyEncodingRegistry()
                .registerGptBytePairEncoding(new GptBytePairEncodingParams(name, LLAMA3_PATTERN, ranks, Map.of()))
                .getEncoding(name).orElseThrow();
        return new LlamaTokenCounter(encoding, "Llama 3's vocabulary from " + file + " (" + String.format("%,d", ranks.size()) + " tokens)");
    }

    /** Which vocabulary counts, for the start-up log. */
    public String description() {
        return description;
    }

    public int count(String text) {
        return text == null || text.isEmpty() ? 0 : encoding.countTokensOrdinary(text);
    }

    /** {@link #count}, remembered for long texts: for the texts of a prompt, which come back. */
    private int countPromptText(String text) {
        return text == null || text.length() < CACHED_FROM_CHARS ? count(text) : promptCounts.get(text, encoding::countTokensOrdinary);
    }

    /** The prompt as the model sees it, template included. */
    public int prompt(CanonicalRequest request) {
        if (request.operation() == Operation.CHAT) {
            int total = CHAT_PRIMING_TOKENS;
            for (ChatMessage message : request.messages()) {
                total += CHAT_TOKENS_PER_MESSAGE + countPromptText(message.text());
                for (ChatMessage.ToolCall call : message.toolCalls()) {
                    total += count(call.name()) + countPromptText(call.arguments());
                }
            }
            return total;
        }
        int total = 0;
        for (String prompt : request.promptTexts()) {
            total += 1 + countPromptText(prompt);
        }
        if (request.prompt() != null && request.prompt().isArray()) {
            for (var item : request.prompt()) {
                total += item.isIntegralNumber() ? 1 : item.isArray() ? item.size() + 1 : 0;
            }
        }
        return total;
    }
}
