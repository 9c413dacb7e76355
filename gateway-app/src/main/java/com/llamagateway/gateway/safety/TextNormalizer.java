package com.llamagateway.gateway.safety;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.Locale;

/**
 * Text as the blocklist compares it, so that trivial obfuscation does not get a term past it: Unicode NFKC
 * (full-width and other compatibility forms become their plain letters, ligatures are split), format characters
 * removed (zero-width space, zero-width joiner and non-joiner, word joiner, soft hyphen, byte-order mark, …), case
 * folded (upper then lower case, so that e.g. ß and SS agree), and every run of white space one space.
 * <p>
 * Text that is all ASCII (most prompts) takes a single pass that gives the same result: NFKC leaves ASCII as it is,
 * ASCII has no format characters, and folding its case is lowering its letters.
 */
public final class TextNormalizer {

    private TextNormalizer() {
    }

    public static String normalize(String text) {
        byte[] ascii = normalizeAscii(text);
        return ascii != null ? new String(ascii, StandardCharsets.US_ASCII) : normalizeAnyText(text);
    }

    /**
     * The normal form of all-ASCII text in one pass, as its bytes (one a character), or null when the text has any
     * other character.
     */
    static byte[] normalizeAscii(String text) {
        int n = text.length();
        byte[] out = new byte[n];
        int length = 0;
        boolean space = false;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                return null;
            }
            if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F)) { // Character.isWhitespace's ASCII
                space = true;
                continue;
            }
            if (space && length > 0) {
                out[length++] = ' ';
            }
            space = false;
            out[length++] = (byte) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        }
        return length == n ? out : Arrays.copyOf(out, length);
    }

    /** The normal form of any text (the definition; {@link #normalizeAscii} agrees with it on ASCII). */
    static String normalizeAnyText(String text) {
        String compatible = Normalizer.normalize(text, Normalizer.Form.NFKC);
        StringBuilder out = new StringBuilder(compatible.length());
        boolean space = false;
        for (int i = 0; i < compatible.length(); ) {
            int cp = compatible.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.getType(cp) == Character.FORMAT) {
                continue;
            }
            if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
                space = true;
                continue;
            }
            if (space && !out.isEmpty()) {
                out.append(' ');
            }
            space = false;
            out.appendCodePoint(cp);
        }
        // NFKC again: case folding can produce sequences that compose differently
        return Normalizer.normalize(out.toString().toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT), Normalizer.Form.NFKC);
    }
}
