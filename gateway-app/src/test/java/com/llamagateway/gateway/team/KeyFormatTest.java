package com.llamagateway.gateway.team;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class KeyFormatTest {

    @Test
    void generatedKeysAreWellFormedAndDistinct() {
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String key = KeyFormat.generate();
            assertThat(key).startsWith("llgw_").hasSize(KeyFormat.LENGTH);
            assertThat(KeyFormat.isWellFormed(key)).as(key).isTrue();
            keys.add(key);
        }
        assertThat(keys).hasSize(1000);
    }

    @Test
    void aChangedCharacterBreaksTheChecksum() {
        String key = KeyFormat.generate();
        for (int i = KeyFormat.PREFIX.length(); i < key.length(); i++) {
            char replacement = key.charAt(i) == 'a' ? 'b' : 'a';
            String typo = key.substring(0, i) + replacement + key.substring(i + 1);
            assertThat(KeyFormat.isWellFormed(typo)).as("typo at %d", i).isFalse();
        }
    }

    @Test
    void otherShapesAreRefused() {
        String key = KeyFormat.generate();
        assertThat(KeyFormat.isWellFormed(null)).isFalse();
        assertThat(KeyFormat.isWellFormed("")).isFalse();
        assertThat(KeyFormat.isWellFormed("sk-" + key.substring(5))).isFalse();
        assertThat(KeyFormat.isWellFormed(key + "x")).isFalse();
        assertThat(KeyFormat.isWellFormed(key.substring(0, 20) + "-" + key.substring(21))).isFalse();
    }

    @Test
    void theHashIsSha256AndNotTheKey() {
        String key = KeyFormat.generate();
        assertThat(KeyFormat.hash(key)).hasSize(64).isEqualTo(KeyFormat.hash(key)).doesNotContain(key.substring(5, 15));
        assertThat(KeyFormat.displayPrefix(key)).isEqualTo(key.substring(0, 11));
    }
}
