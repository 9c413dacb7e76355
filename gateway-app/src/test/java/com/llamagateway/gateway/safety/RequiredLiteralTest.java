package com.llamagateway.gateway.safety;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class RequiredLiteralTest {

    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource(delimiterString = " => ", nullValues = "null", quoteCharacter = '~', value = {
            "\\bproject\\s+x-?\\d{2}\\b => project",
            "Project X => ~project x~",
            "colou?r => colo",
            "ab*cd => cd",
            "x{0}abc => abc",
            "x{0,3}ab => ab",
            "x{1,3}ab => ab",
            "ab{2}c => ab",
            "a+?bc => bc",
            "(?:secret|private)\\s+plan => plan",
            "[(|)]abc => abc",
            "(a[)]b)xyz => xyz",
            "(?<name>q)rs(?=t) => rs",
            "\\p{L}+token\\P{Lu} => token",
            "a\\.b\\-c => a.b-c",
            "café => caf",
            "\\d{3}-\\d{4} => -",
            // not understood, or nothing required: no pre-check
            "abc|xyz => null",
            "(?i)abc => null",
            "(?x)a b c => null",
            "(?-i:abc)def => null",
            "(a(?x)b )cde => null",
            "\\Qabc\\E => null",
            "(a)\\1bcd => null",
            "\\tabc => null",
            "[]a]bcd => null",
            "[^]a]bcd => null",
            "[\\Q]\\E]bcd => null",
            ".* => null",
            "\\d+ => null",
            "a? => null",
    })
    void aPatternsRequiredRun(String regex, String expected) {
        Pattern.compile(regex); // every example is a valid pattern
        assertThat(RequiredLiteral.of(regex)).isEqualTo(expected);
    }

    /**
     * The fold check against the regex engine itself: for every printable ASCII character of a pattern and every
     * character of the BMP, a case-insensitive match means the character is the pattern's folded character or a
     * fold variant.
     */
    @Test
    void everyCharacterThatMatchesAnAsciiLiteralIsItsFoldOrAFoldVariant() {
        int variants = 0;
        for (char literal = ' '; literal < 0x7F; literal++) {
            Matcher matcher = Pattern.compile(Pattern.quote(String.valueOf(literal)), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE)
                    .matcher("");
            for (int c = 0; c <= 0xFFFF; c++) {
                String text = String.valueOf((char) c);
                if (matcher.reset(text).matches() && c != RequiredLiteral.fold(literal)) {
                    assertThat(RequiredLiteral.hasFoldVariants(text)).as("U+%04X against '%s'", c, literal).isTrue();
                    variants++;
                }
            }
        }
        assertThat(variants).isGreaterThanOrEqualTo(26 + 4); // the capitals, and at least ı İ ſ K (Kelvin)
    }

    @Test
    void theFastCheckOfACharacterIsTheFoldDefinition() {
        for (int c = 0; c <= 0xFFFF; c++) {
            int fold = RequiredLiteral.fold(c);
            assertThat(RequiredLiteral.hasFoldVariants(String.valueOf((char) c))).as("U+%04X", c).isEqualTo(fold != c && fold < 0x80);
        }
        for (int cp = 0x10000; cp <= Character.MAX_CODE_POINT; cp++) { // a text's surrogates are read one by one
            assertThat(RequiredLiteral.fold(cp)).as("U+%X", cp).isGreaterThanOrEqualTo(0x80);
        }
    }

    @Test
    void aTextWithoutThePatternsRunIsAllowedWithoutTryingIt() {
        BlocklistFilter filter = new BlocklistFilter("c", List.of(), List.of("\\bpolicy\\s+\\d{2}\\b"), 1_000_000_000L);
        assertThat(filter.judge("nothing here, 42")).isEqualTo(Verdict.allow());
        assertThat(filter.judge("see POLICY  42 now")).isEqualTo(Verdict.block("c", null, "blocked pattern 1"));
    }

    @Test
    void aFoldVariantOfTheRunIsTriedToo() {
        // the dotless ı folds onto i: "policy" is not in the text, yet the pattern matches it
        assertThat(Pattern.compile("policy", Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE).matcher("pol\u0131cy").find()).isTrue();
        assertThat("pol\u0131cy").doesNotContain(RequiredLiteral.of("policy"));
        assertThat(RequiredLiteral.hasFoldVariants("pol\u0131cy")).isTrue();
        assertThat(RequiredLiteral.hasFoldVariants("policy, café ß 42")).isFalse();
    }
}
