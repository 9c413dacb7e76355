package com.llamagateway.gateway.safety;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pre-check against the regex engine: random patterns (literals, escapes, classes with brackets and bars inside,
 * groups of every kind with alternation, look-arounds, quantifiers lazy and possessive, inline flags, quoting) with a
 * text built to match each — its literals in other cases and as fold variants (ı, ſ, K, İ) — or a text of random
 * pieces. Whenever the pattern finds a match the pre-check must let the text through; the filter's verdict must be
 * the pattern's own on the normal form.
 */
class RequiredLiteralPropertiesTest {

    private static final int FLAGS = Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;
    private static final List<String> LITERALS = List.of("a", "b", "c", "k", "s", "i", "x", "K", "S", "I", "Q", "0", "1", "9", " ", "-", "_",
            ",", ":", "#", "&", "'", "\"", "é", "ß", "\u0131", "\u017F", "\u212A", "\u0130", "\uD835\uDC00");
    private static final List<String> PUNCTUATION = List.of(".", "-", "\\", "(", ")", "[", "]", "{", "}", "|", "$", "?", "*", "+", "^", "/");
    /** A piece of a pattern and a text it matches. */
    private static final List<String[]> CLASSES = List.of(new String[] {"[a-z]", "m"}, new String[] {"[^x]", "y"},
            new String[] {"[\\]x]", "]"}, new String[] {"[a[bc]]", "c"}, new String[] {"[x[yz]ab]", "y"}, new String[] {"[(|)]", "|"}, new String[] {"[a-z&&[^q]]", "r"},
            new String[] {"[\\[\\]]", "["}, new String[] {"[)]", ")"}, new String[] {"[\\p{L}]", "é"}, new String[] {"[\\Q]\\E]", "]"},
            new String[] {"\\d", "7"}, new String[] {"\\s", " "}, new String[] {"\\w", "q"}, new String[] {"\\D", "x"},
            new String[] {"\\W", "-"}, new String[] {"\\p{L}", "é"}, new String[] {"\\pL", "k"}, new String[] {"\\P{Lu}", "m"},
            new String[] {"\\h", " "}, new String[] {".", "z"});
    /** Constructs the pre-check does not read: it must give up on them. */
    private static final List<String[]> OTHERS = List.of(new String[] {"(?i)", ""}, new String[] {"(?i:ab)", "AB"},
            new String[] {"\\Qa|b\\E", "a|b"}, new String[] {"\\t", "\t"}, new String[] {"\\x41", "A"}, new String[] {"\\u0042", "b"},
            new String[] {"(?-i)", ""}, new String[] {"\\0101", "A"});
    private static final List<String> NOISE = List.of("a", "B", "k", "S", "I", " ", "  ", "x", "0", "-", "é", "\u0131", "\u017F", "\u212A",
            "\u0130", "ab", "abc", "q", "|", "]", "\n", "\uD835\uDC00");
    /** Noise without characters that fold onto ASCII: texts on which the pre-check can decide alone. */
    private static final List<String> PLAIN_NOISE = List.of("a", "k", "s", " ", "x", "0", "-", "é", "ab", "abc", "q", "|", "]", "\n", "\uD835\uDC00");

    private record Piece(String regex, String sample) {
    }

    private record Case(String regex, String text) {
    }

    @Property(tries = 3000)
    void whateverThePatternMatchesThePreCheckLetsThrough(@ForAll("cases") Case example) {
        Pattern pattern = compiled(example.regex());
        String run = RequiredLiteral.of(example.regex());
        boolean found = pattern.matcher(example.text()).find();
        boolean passes = run == null || example.text().contains(run) || RequiredLiteral.hasFoldVariants(example.text());
        if (found) {
            assertThat(passes).as("pattern %s, run %s, text %s", example.regex(), run, example.text()).isTrue();
        }
        Statistics.label("match").collect(found ? "found" : "not found")
                .coverage(coverage -> coverage.check("found").percentage(share -> share >= 30)); // a run: 62 %
        Statistics.label("run").collect(run == null ? "none" : "run")
                .coverage(coverage -> coverage.check("run").percentage(share -> share >= 25)); // a run: 39 %
        Statistics.label("pre-check").collect(passes ? "tried" : "skipped")
                .coverage(coverage -> coverage.check("skipped").percentage(share -> share >= 5)); // a run: 9 %
    }

    @Property(tries = 1500)
    void theFiltersVerdictIsThePatternsOwnOnTheNormalForm(@ForAll("cases") Case example) {
        Pattern pattern = compiled(example.regex());
        boolean found = pattern.matcher(TextNormalizer.normalizeAnyText(example.text())).find();
        // a clock that stands still: the verdict is the pattern's, however long a busy machine takes to find it
        Verdict verdict = new BlocklistFilter("c", List.of(), List.of(example.regex()), 1_000_000_000L, () -> 0L).judge(example.text());
        assertThat(verdict).as("pattern %s, text %s", example.regex(), example.text())
                .isEqualTo(found ? Verdict.block("c", null, "blocked pattern 1") : Verdict.allow());
        Statistics.label("verdict").collect(found ? "blocked" : "allowed")
                .coverage(coverage -> coverage.check("blocked").percentage(share -> share >= 20)); // a run: 50 %
    }

    private static Pattern compiled(String regex) {
        try {
            return Pattern.compile(regex, FLAGS);
        } catch (PatternSyntaxException e) {
            throw new AssertionError("the generator made an invalid pattern: " + regex, e);
        }
    }

    @Provide
    Arbitrary<Case> cases() {
        return Arbitraries.randomValue(random -> {
            Piece piece = sequence(random, 0, new int[1]);
            boolean spaceable = piece.regex().indexOf('#') < 0 && !piece.regex().matches("(?s).* [?*+{].*"); // still a pattern in (?x)
            if (random.nextInt(8) == 0 && spaceable) { // free spacing: its spaces are no literals
                piece = new Piece("(?x)" + piece.regex(), piece.sample().replace(" ", ""));
            }
            String text = random.nextInt(4) == 0 ? noise(random, PLAIN_NOISE, 1 + random.nextInt(8)) // a text of its own: mostly no match
                    : noise(random, NOISE, random.nextInt(3)) + piece.sample() + noise(random, NOISE, random.nextInt(3));
            return new Case(piece.regex(), text);
        });
    }

    private static Piece sequence(Random random, int depth, int[] groups) {
        StringBuilder regex = new StringBuilder();
        StringBuilder sample = new StringBuilder();
        for (int i = 1 + random.nextInt(6); i > 0; i--) {
            Piece atom = quantified(random, depth, groups);
            regex.append(atom.regex());
            sample.append(atom.sample());
        }
        if (random.nextInt(depth == 0 ? 10 : 3) == 0) {
            Piece other = sequence(random, depth + 1, groups);
            return new Piece(regex + "|" + other.regex(), random.nextBoolean() ? sample.toString() : other.sample());
        }
        return new Piece(regex.toString(), sample.toString());
    }

    private static Piece quantified(Random random, int depth, int[] groups) {
        int kind = random.nextInt(100);
        if (kind < 5) { // zero width: not quantified
            return pick(random, List.of(new Piece("\\b", ""), new Piece("\\B", ""), new Piece("(?=[a-z])", ""), new Piece("(?!zz)", ""),
                    new Piece("(?<=[a-z])", ""), new Piece("(?<!q)", ""), new Piece("^", ""), new Piece("$", "")));
        }
        if (kind < 9) {
            String[] other = OTHERS.get(random.nextInt(OTHERS.size()));
            return new Piece(other[0], other[1]);
        }
        Piece atom = atom(random, depth, groups, kind);
        if (random.nextInt(100) >= 35) {
            return atom;
        }
        String[] quantifiers = {"?", "*", "+", "{2}", "{0,2}", "{1,}", "{0}", "{2,3}", "{00}"};
        int[][] counts = {{0, 1}, {0, 2}, {1, 2}, {2, 2}, {0, 2}, {1, 3}, {0, 0}, {2, 3}, {0, 0}};
        int q = random.nextInt(quantifiers.length);
        String mode = random.nextInt(5) == 0 ? (random.nextBoolean() ? "?" : "+") : "";
        int times = counts[q][0] + random.nextInt(counts[q][1] - counts[q][0] + 1);
        return new Piece(atom.regex() + quantifiers[q] + mode, atom.sample().repeat(times));
    }

    private static Piece atom(Random random, int depth, int[] groups, int kind) {
        if (kind < 50) {
            String literal = LITERALS.get(random.nextInt(LITERALS.size()));
            return new Piece(literal, variant(random, literal));
        }
        if (kind < 60) {
            String c = PUNCTUATION.get(random.nextInt(PUNCTUATION.size()));
            return new Piece("\\" + c, c);
        }
        if (kind < 80 || depth >= 3) {
            String[] c = CLASSES.get(random.nextInt(CLASSES.size()));
            return new Piece(c[0], c[1]);
        }
        Piece inner = sequence(random, depth + 1, groups);
        String open = switch (random.nextInt(4)) {
            case 0 -> "(";
            case 1 -> "(?:";
            case 2 -> "(?<g" + (++groups[0]) + ">";
            default -> "(?>";
        };
        return new Piece(open + inner.regex() + ")", inner.sample());
    }

    /** The text for a literal of the pattern: itself, in another case, or a character that folds onto it. */
    private static String variant(Random random, String literal) {
        return switch (random.nextInt(4)) {
            case 0 -> literal.toUpperCase(java.util.Locale.ROOT);
            case 1 -> literal.toLowerCase(java.util.Locale.ROOT);
            case 2 -> switch (literal) {
                case "k", "K" -> "\u212A";
                case "s", "S" -> "\u017F";
                case "i", "I" -> random.nextBoolean() ? "\u0131" : "\u0130";
                default -> literal;
            };
            default -> literal;
        };
    }

    private static String noise(Random random, List<String> from, int pieces) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < pieces; i++) {
            text.append(from.get(random.nextInt(from.size())));
        }
        return text.toString();
    }

    private static <T> T pick(Random random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }
}
