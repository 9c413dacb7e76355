package com.llamagateway.gateway.safety;

import reactor.core.publisher.Mono;

import java.lang.Character.UnicodeScript;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The built-in {@code blocklist} filter: blocks text that contains one of its terms (as a whole word; in scripts
 * written without spaces, anywhere) or matches one of its regular expressions. Text, terms and patterns' input are
 * compared after {@link TextNormalizer normalisation}; patterns are matched case-insensitively against the
 * normalised text. Terms are found in one pass over the text whatever their number (a trie); a pattern is tried only
 * on a text that has what every match of it contains ({@link RequiredLiteral}).
 * <p>
 * A pattern's match is bounded in time: matching stops (and the screening fails) after the filter's timeout, so
 * that a pathological pattern cannot hold a thread.
 */
public final class BlocklistFilter implements SafetyFilter {

    private static final Set<UnicodeScript> UNSPACED_SCRIPTS = Set.of(UnicodeScript.HAN, UnicodeScript.HIRAGANA,
            UnicodeScript.KATAKANA, UnicodeScript.THAI, UnicodeScript.LAO, UnicodeScript.KHMER, UnicodeScript.MYANMAR);

    private static final int ASCII = 0x80;

    private final String category;
    private final Node terms = new Node();
    /** The trie's first level for ASCII characters: looked up at every character of the text. */
    private final Node[] asciiFirst = new Node[ASCII];
    private final List<BlockedPattern> patterns = new ArrayList<>();
    private final long patternBudgetNanos;
    /** {@link System#nanoTime()}, or a test's clock. */
    private final LongSupplier nanoClock;

    /**
     * @param category          the category of its blocks
     * @param terms             words or phrases
     * @param patterns          Java regular expressions
     * @param patternBudgetNanos longest time patterns may take on one text
     */
    public BlocklistFilter(String category, List<String> terms, List<String> patterns, long patternBudgetNanos) {
        this(category, terms, patterns, patternBudgetNanos, System::nanoTime);
    }

    /** As the public constructor, with the clock the patterns' time is read from (a test's, that it controls). */
    BlocklistFilter(String category, List<String> terms, List<String> patterns, long patternBudgetNanos, LongSupplier nanoClock) {
        this.category = category;
        this.patternBudgetNanos = patternBudgetNanos;
        this.nanoClock = nanoClock;
        for (int i = 0; i < terms.size(); i++) {
            String term = TextNormalizer.normalize(terms.get(i));
            if (term.isBlank()) {
                throw new IllegalArgumentException("blocklist term " + (i + 1) + " is empty");
            }
            Node node = this.terms;
            for (int at = 0; at < term.length(); ) {
                int cp = term.codePointAt(at);
                at += Character.charCount(cp);
                node = node.next.computeIfAbsent(cp, c -> new Node());
            }
            node.term = node.term == 0 ? i + 1 : node.term;
        }
        for (int c = 0; c < ASCII; c++) {
            asciiFirst[c] = this.terms.next.get(c);
        }
        for (int i = 0; i < patterns.size(); i++) {
            try {
                this.patterns.add(new BlockedPattern(Pattern.compile(patterns.get(i), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE),
                        RequiredLiteral.of(patterns.get(i))));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("blocklist pattern " + (i + 1) + " is not a regular expression: " + e.getDescription());
            }
        }
    }

    /**
     * Judges the text and, on the way in, each text part of a multi-part message on its own: a term split across
     * parts is found in the joined text, a term alone in its part in that part.
     */
    @Override
    public Mono<Verdict> screen(Screening screening) {
        return Mono.fromCallable(() -> {
            Verdict verdict = judge(screening.text());
            if (verdict instanceof Verdict.Block || screening.direction() != Screening.Direction.INPUT) {
                return verdict;
            }
            for (Screening.Message message : screening.prompt()) {
                for (String part : message.parts()) {
                    Verdict onItsOwn = judge(part);
                    if (onItsOwn instanceof Verdict.Block) {
                        return onItsOwn;
                    }
                }
            }
            return verdict;
        });
    }

    /** The verdict on one text (synchronous; what {@link #screen} does). */
    public Verdict judge(String text) {
        byte[] ascii = TextNormalizer.normalizeAscii(text); // most prompts: their normal form is searched as bytes
        String normal = ascii == null ? TextNormalizer.normalizeAnyText(text) : null;
        int term = ascii != null ? findTerm(ascii) : findTerm(normal);
        if (term > 0) {
            return Verdict.block(category, null, "blocked term " + term);
        }
        if (patterns.isEmpty()) {
            return Verdict.allow();
        }
        normal = normal != null ? normal : new String(ascii, StandardCharsets.US_ASCII);
        CharSequence bounded = new Deadline(normal, nanoClock, nanoClock.getAsLong() + patternBudgetNanos);
        Boolean foldVariants = null; // read once, when a pattern's run is not in the text as it is
        for (int i = 0; i < patterns.size(); i++) {
            BlockedPattern pattern = patterns.get(i);
            if (pattern.run() != null && !normal.contains(pattern.run())) {
                foldVariants = foldVariants != null ? foldVariants : RequiredLiteral.hasFoldVariants(normal);
                if (!foldVariants) {
                    continue; // no match can be in this text
                }
            }
            if (pattern.regex().matcher(bounded).find()) {
                return Verdict.block(category, null, "blocked pattern " + (i + 1));
            }
        }
        return Verdict.allow();
    }

    /** The number (from 1) of a term found in the text as a whole word, or 0: the leftmost, and there the shortest. */
    private int findTerm(String text) {
        int previous = -1; // the code point before start, -1 at the text's start
        for (int start = 0; start < text.length(); ) {
            int first = text.codePointAt(start);
            int next = start + Character.charCount(first);
            Node node = first < ASCII ? asciiFirst[first] : terms.next.get(first);
            if (node != null && separated(first, previous)) {
                int term = termFrom(text, node, first, next);
                if (term > 0) {
                    return term;
                }
            }
            previous = first;
            start = next;
        }
        return 0;
    }

    /** {@link #findTerm(String)} over the bytes of an all-ASCII text (one a character: no code point to decode). */
    private int findTerm(byte[] text) {
        int previous = -1;
        for (int start = 0; start < text.length; start++) {
            int first = text[start];
            Node node = asciiFirst[first];
            if (node != null && separated(first, previous)) {
                int term = termFrom(text, node, first, start + 1);
                if (term > 0) {
                    return term;
                }
            }
            previous = first;
        }
        return 0;
    }

    /** {@link #termFrom(String, Node, int, int)} over the bytes of an all-ASCII text. */
    private static int termFrom(byte[] text, Node node, int last, int at) {
        while (true) {
            if (node.term > 0 && separated(last, at < text.length ? text[at] : -1)) {
                return node.term;
            }
            if (at >= text.length) {
                return 0;
            }
            last = text[at++];
            node = node.next.get(last);
            if (node == null) {
                return 0;
            }
        }
    }

    /**
     * The shortest term that goes on from {@code node} (the trie after the text up to {@code at}, which ended with
     * {@code last}) and ends a word there, or 0.
     */
    private static int termFrom(String text, Node node, int last, int at) {
        while (true) {
            if (node.term > 0 && separated(last, at < text.length() ? text.codePointAt(at) : -1)) {
                return node.term;
            }
            if (at >= text.length()) {
                return 0;
            }
            last = text.codePointAt(at);
            node = node.next.get(last);
            if (node == null) {
                return 0;
            }
            at += Character.charCount(last);
        }
    }

    /**
     * Whether a term's first or last character {@code edge} ends a word against its {@code neighbour} (-1: the text's
     * start or end): a word boundary, or a script written without spaces on either side.
     */
    private static boolean separated(int edge, int neighbour) {
        return neighbour < 0 || !inSpacedWord(edge) || !inSpacedWord(neighbour);
    }

    private static boolean inSpacedWord(int cp) {
        if (cp < ASCII) { // the same answer without the Unicode tables: ASCII's word characters are its letters and digits
            return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
        }
        return wordChar(cp) && !unspaced(cp);
    }

    private static boolean wordChar(int cp) {
        return Character.isLetterOrDigit(cp) || Character.getType(cp) == Character.NON_SPACING_MARK
                || Character.getType(cp) == Character.COMBINING_SPACING_MARK;
    }

    private static boolean unspaced(int cp) {
        return UNSPACED_SCRIPTS.contains(UnicodeScript.of(cp));
    }

    /** A pattern and what every match of it contains ({@link RequiredLiteral}), or null. */
    private record BlockedPattern(Pattern regex, String run) {
    }

    private static final class Node {
        final Map<Integer, Node> next = new HashMap<>(4);
        int term;
    }

    /** Text that stops a regular expression (with an exception) once its time is up. */
    private static final class Deadline implements CharSequence {

        private final CharSequence text;
        private final LongSupplier nanoClock;
        private final long deadlineNanos;
        private int reads;

        Deadline(CharSequence text, LongSupplier nanoClock, long deadlineNanos) {
            this.text = text;
            this.nanoClock = nanoClock;
            this.deadlineNanos = deadlineNanos;
        }

        @Override
        public char charAt(int index) {
            if ((++reads & 0x3FF) == 0 && nanoClock.getAsLong() - deadlineNanos > 0) { // a difference: nanoTime may wrap
                throw new FilterFailure("a blocklist pattern took longer than its time");
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new Deadline(text.subSequence(start, end), nanoClock, deadlineNanos);
        }

        @Override
        public String toString() {
            return text.toString();
        }
    }
}
