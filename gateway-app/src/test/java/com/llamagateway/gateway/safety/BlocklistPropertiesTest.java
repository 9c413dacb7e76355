package com.llamagateway.gateway.safety;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.lang.Character.UnicodeScript;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The blocklist's fast paths against the definitions they shortcut: the normaliser's ASCII pass against the full
 * normal form, and the trie's term search against a search that tries every term at every place of the text.
 */
class BlocklistPropertiesTest {

    /** Pieces of text where normalising and word boundaries are interesting: case, marks, ligatures, scripts without spaces. */
    private static final List<String> PIECES = List.of("a", "b", "B", "ss", "0", " ", "  ", "\t", "\n", "-", ".", "_", "é", "e\u0301",
            "É", "ß", "SS", "ﬀ", "ｆ", "\u200B", "\u00AD", "砒", "霜", "\u0301", "𝐀", "İ", "\u000B", "\u001F", "\u0000", "\u007F");

    @Property(tries = 2000)
    void theAsciiPassGivesTheFullNormalForm(@ForAll("asciiTexts") String text) {
        assertThat(new String(TextNormalizer.normalizeAscii(text), StandardCharsets.US_ASCII)).as(text).isEqualTo(TextNormalizer.normalizeAnyText(text));
    }

    @Property(tries = 500)
    void textWithAnyOtherCharacterTakesTheFullNormalForm(@ForAll("texts") String text) {
        boolean ascii = text.chars().allMatch(c -> c < 0x80);
        assertThat(TextNormalizer.normalize(text)).isEqualTo(TextNormalizer.normalizeAnyText(text));
        assertThat(TextNormalizer.normalizeAscii(text) == null).as(text).isEqualTo(!ascii);
    }

    @Property(tries = 2000)
    void theTrieFindsWhatTryingEveryTermEverywhereFinds(@ForAll("termLists") List<String> terms, @ForAll("texts") String text) {
        assertTheTrieAgrees(terms, text); // a run: 18 % blocked
    }

    /** The same on all-ASCII texts and terms, which the blocklist searches as bytes. */
    @Property(tries = 2000)
    void onAsciiTextTheTrieFindsWhatTryingEveryTermEverywhereFinds(@ForAll("asciiTermLists") List<String> terms,
                                                                   @ForAll("asciiPieceTexts") String text) {
        assertTheTrieAgrees(terms, text); // a run: 32 % blocked
    }

    /** The filter's verdict against {@link #everywhere}'s; at least 10 % of a property's tries blocked. */
    private static void assertTheTrieAgrees(List<String> terms, String text) {
        terms.forEach(term -> Assume.that(!TextNormalizer.normalize(term).isBlank()));
        Verdict verdict = new BlocklistFilter("c", terms, List.of(), 1_000_000_000L).judge(text);
        int expected = everywhere(terms, text);
        assertThat(verdict).as("terms %s in %s", terms, text)
                .isEqualTo(expected == 0 ? Verdict.allow() : Verdict.block("c", null, "blocked term " + expected));
        Statistics.label("verdict").collect(expected == 0 ? "allowed" : "blocked")
                .coverage(coverage -> coverage.check("blocked").percentage(share -> share >= 10));
    }

    /**
     * The term the blocklist names, tried the slow way: at each place of the normal text from the left, every term in
     * order of length (then of the list) that is there as a whole word. 0 when none is.
     */
    private static int everywhere(List<String> terms, String text) {
        String normal = TextNormalizer.normalizeAnyText(text);
        List<Integer> order = IntStream.range(0, terms.size()).boxed()
                .sorted(Comparator.comparingInt((Integer i) -> TextNormalizer.normalizeAnyText(terms.get(i)).length()).thenComparing(i -> i))
                .toList();
        for (int start = 0; start < normal.length(); start += Character.charCount(normal.codePointAt(start))) {
            for (int i : order) {
                String term = TextNormalizer.normalizeAnyText(terms.get(i));
                int end = start + term.length();
                if (normal.startsWith(term, start)
                        && separated(term.codePointAt(0), start == 0 ? -1 : normal.codePointBefore(start))
                        && separated(term.codePointBefore(term.length()), end < normal.length() ? normal.codePointAt(end) : -1)) {
                    return i + 1;
                }
            }
        }
        return 0;
    }

    /** The blocklist's word boundary, from the Unicode tables alone. */
    private static boolean separated(int edge, int neighbour) {
        return neighbour < 0 || !inSpacedWord(edge) || !inSpacedWord(neighbour);
    }

    private static boolean inSpacedWord(int cp) {
        boolean word = Character.isLetterOrDigit(cp) || Character.getType(cp) == Character.NON_SPACING_MARK
                || Character.getType(cp) == Character.COMBINING_SPACING_MARK;
        return word && !Set.of(UnicodeScript.HAN, UnicodeScript.HIRAGANA, UnicodeScript.KATAKANA, UnicodeScript.THAI, UnicodeScript.LAO,
                UnicodeScript.KHMER, UnicodeScript.MYANMAR).contains(UnicodeScript.of(cp));
    }

    @Provide
    Arbitrary<String> asciiTexts() {
        return Arbitraries.strings().withCharRange('\u0000', '\u007F').ofMaxLength(60);
    }

    @Provide
    Arbitrary<String> texts() {
        return Arbitraries.of(PIECES).list().ofMaxSize(30).map(pieces -> String.join("", pieces));
    }

    @Provide
    Arbitrary<String> asciiPieceTexts() {
        return Arbitraries.of(PIECES.stream().filter(piece -> piece.chars().allMatch(c -> c < 0x80)).toList()).list().ofMaxSize(30)
                .map(pieces -> String.join("", pieces));
    }

    @Provide
    Arbitrary<List<String>> asciiTermLists() {
        Arbitrary<String> term = Arbitraries.of("a", "b", "B", "ss", " ", "-", "0", ".").list().ofMinSize(1).ofMaxSize(4)
                .map(pieces -> String.join("", pieces));
        return term.list().ofMinSize(1).ofMaxSize(4);
    }

    @Provide
    Arbitrary<List<String>> termLists() {
        Arbitrary<String> term = Arbitraries.of("a", "b", "B", "ss", "ß", "é", "砒", "霜", " ", "-", "0").list().ofMinSize(1).ofMaxSize(4)
                .map(pieces -> String.join("", pieces));
        return term.list().ofMinSize(1).ofMaxSize(4);
    }
}
