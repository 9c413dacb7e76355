package com.llamagateway.gateway.safety;

import java.text.Normalizer;
import java.util.Locale;

/**
 * Text as the blocklist compares it, so that trivial obfuscation does not get a term past it: Unicode NFKC
 * (full-width and other compatibility forms become their plain letters, ligatures are split), format characters
 * removed (zero-width space, zero-width joiner and non-joiner, word joiner, soft hyphen, byte-order mark, …), case
 * folded (upper then lower case, so that e.g. ß and SS agree), and every run of white space one space.
 */
public final class TextNormalizer {

    private TextNormalizer() {
    }

    public static String normalize(String text) {
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
