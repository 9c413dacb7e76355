package com.llamagateway.gateway.tokens;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loading a byte-pair vocabulary in tiktoken format, as Llama 3's {@code tokenizer.model} is distributed. */
class LlamaTokenCounterTest {

    @TempDir
    Path dir;

    /** The 256 single bytes (ranks 0–255), then the given tokens in rank order. */
    private Path vocabulary(String... merges) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            lines.add(Base64.getEncoder().encodeToString(new byte[]{(byte) b}) + " " + b);
        }
        for (int i = 0; i < merges.length; i++) {
            lines.add(Base64.getEncoder().encodeToString(merges[i].getBytes(StandardCharsets.UTF_8)) + " " + (256 + i));
        }
        Path file = dir.resolve("tokenizer.model");
        Files.write(file, lines);
        return file;
    }

    @Test
    void aVocabularyFileCountsByItsOwnRanksAndLlama3sPreTokenizer() throws IOException {
        LlamaTokenCounter counter = LlamaTokenCounter.fromVocabulary(vocabulary("he", "ll", "hell"));
        // h e l l o → he l l o → he ll o → hell o: the lowest-ranked pair merges first
        assertThat(counter.count("hello")).isEqualTo(2);
        // the pre-tokenizer keeps a leading space with the word: " hell" is not a token, so ' ' + hell + o
        assertThat(counter.count(" hello")).isEqualTo(3);
        // no merges for these: one token per byte of UTF-8
        assertThat(counter.count("你好")).isEqualTo(6);
        // contractions split as Llama 3 splits them: "it" + "'s"
        assertThat(counter.count("it's")).isEqualTo(2 + 2);
        // Unicode white space is white space (an ideographic space between two words: three pieces)
        assertThat(counter.count("he\u3000he")).isEqualTo(1 + 3 + 1);
        // user text that looks like a special token is counted as ordinary text
        assertThat(counter.count("<|eot_id|>")).isEqualTo("<|eot_id|>".length() - 2 + 2);
        assertThat(counter.description()).contains("Llama 3's vocabulary").contains("259 tokens");
        assertThat(new LlamaTokenCounter().count("hello")).as("cl100k_base has 'hello'").isEqualTo(1);
    }

    @Test
    void aFileThatIsNotAVocabularyIsRefusedNamingTheLine() throws IOException {
        Path file = vocabulary("he");
        Files.writeString(file, Files.readString(file) + "not-a-line\n");
        assertThatThrownBy(() -> LlamaTokenCounter.fromVocabulary(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("gateway.tokenizer.vocabulary").hasMessageContaining("line 258");
        Files.writeString(file, "aGU= 0\naGk= 0\n");
        assertThatThrownBy(() -> LlamaTokenCounter.fromVocabulary(file)).hasMessageContaining("line 2").hasMessageContaining("rank 0");
        Files.writeString(file, "aGU= 0\naGU= 1\n");
        assertThatThrownBy(() -> LlamaTokenCounter.fromVocabulary(file)).hasMessageContaining("line 2").hasMessageContaining("token aGU=");
        Files.writeString(file, "aGU= 0\n");
        assertThatThrownBy(() -> LlamaTokenCounter.fromVocabulary(file)).hasMessageContaining("holds 1 tokens");
        assertThatThrownBy(() -> LlamaTokenCounter.fromVocabulary(dir.resolve("missing.model"))).hasMessageContaining("cannot read");
    }
}
