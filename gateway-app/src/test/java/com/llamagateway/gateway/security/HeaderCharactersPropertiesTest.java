package com.llamagateway.gateway.security;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.springframework.security.web.server.firewall.StrictServerWebExchangeFirewall;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link HeaderCharacters} decides every header name and value as Spring Security's firewall does with its regular
 * expressions: printable ASCII, tabs, all ASCII and C1 control characters, Latin-1 as Netty decodes it, unassigned code
 * points, lone and paired surrogates, characters beyond the BMP.
 */
class HeaderCharactersPropertiesTest {

    @Provide
    Arbitrary<String> texts() {
        Arbitrary<Character> ascii = Arbitraries.chars().range((char) 0, (char) 0x7f);
        Arbitrary<Character> latin1 = Arbitraries.chars().range((char) 0x80, (char) 0xff);
        Arbitrary<Character> anyChar = Arbitraries.chars().all(); // private use, unassigned
        Arbitrary<Character> surrogate = Arbitraries.chars().range('\ud800', '\udfff'); // alone, or paired by chance
        Arbitrary<Character> unassigned = Arbitraries.of('\u0378', '\u0379', '\u2fff', '\ufdd0', '\uffff', '\u05ff');
        Arbitrary<String> supplementary = Arbitraries.integers().between(0x10000, 0x10ffff).map(Character::toString);
        Arbitrary<String> single = Arbitraries.frequencyOf(
                Tuple.of(10, Arbitraries.chars().range(' ', '~').map(String::valueOf)),
                Tuple.of(3, ascii.map(String::valueOf)),
                Tuple.of(2, latin1.map(String::valueOf)),
                Tuple.of(2, anyChar.map(String::valueOf)),
                Tuple.of(2, surrogate.map(String::valueOf)),
                Tuple.of(1, unassigned.map(String::valueOf)),
                Tuple.of(2, supplementary));
        return single.list().ofMaxSize(12).map(parts -> String.join("", parts));
    }

    @Property(tries = 5000)
    void namesAreDecidedAsTheFirewallDecidesThem(@ForAll("texts") String text) {
        assertThat(HeaderCharacters.NAMES.test(text)).as(escaped(text))
                .isEqualTo(StrictServerWebExchangeFirewall.ALLOWED_HEADER_NAMES.test(text))
                .isEqualTo(StrictServerWebExchangeFirewall.ALLOWED_PARAMETER_NAMES.test(text)); // the firewall's parameter names too
    }

    @Property(tries = 5000)
    void valuesAreDecidedAsTheFirewallDecidesThem(@ForAll("texts") String text) {
        assertThat(HeaderCharacters.VALUES.test(text)).as(escaped(text))
                .isEqualTo(StrictServerWebExchangeFirewall.ALLOWED_HEADER_VALUES.test(text));
    }

    @Example
    void everySingleCharacterIsDecidedAsTheFirewallDecidesIt() {
        for (int c = 0; c <= Character.MAX_VALUE; c++) {
            String text = "a" + (char) c + "b";
            assertThat(HeaderCharacters.NAMES.test(text)).as("U+%04X in a name", c).isEqualTo(StrictServerWebExchangeFirewall.ALLOWED_HEADER_NAMES.test(text));
            assertThat(HeaderCharacters.VALUES.test(text)).as("U+%04X in a value", c).isEqualTo(StrictServerWebExchangeFirewall.ALLOWED_HEADER_VALUES.test(text));
        }
    }

    @Example
    void whatTheFirewallRefuses() {
        assertThat(HeaderCharacters.VALUES.test("Bearer llgw_abc\tdef")).isTrue();
        assertThat(HeaderCharacters.NAMES.test("x\tname")).isFalse();
        assertThat(HeaderCharacters.VALUES.test("a\u0001b")).isFalse();
        assertThat(HeaderCharacters.VALUES.test("a\u0085b")).isFalse(); // C1 control: Netty's decoder lets the byte 0x85 through
        assertThat(HeaderCharacters.VALUES.test("caf\u00e9")).isTrue();
        assertThat(HeaderCharacters.VALUES.test("\u0378")).isFalse();
        assertThat(HeaderCharacters.VALUES.test(null)).isTrue();
    }

    private static String escaped(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(c -> out.append(c >= 0x20 && c < 0x7f ? Character.toString(c) : String.format("\\u{%X}", c)));
        return out.toString();
    }
}
