package com.llamagateway.gateway.security;

import java.util.function.Predicate;

/**
 * The characters Spring Security's firewall lets through in a request's header names and values
 * ({@code StrictServerWebExchangeFirewall.ALLOWED_HEADER_NAMES} and {@code ALLOWED_HEADER_VALUES}): assigned Unicode code
 * points that are not control characters, and in values a tab too. The same decision as the firewall's regular
 * expressions, in a loop that passes printable Latin-1 at a glance: the firewall asks it for every header the gateway
 * reads, on every request.
 */
final class HeaderCharacters {

    /** Header names (and query parameter names): assigned and not a control character. */
    static final Predicate<String> NAMES = name -> allowed(name, false);
    /** Header values: assigned and not a control character, or a tab. */
    static final Predicate<String> VALUES = value -> allowed(value, true);

    private HeaderCharacters() {
    }

    private static boolean allowed(String text, boolean tab) {
        if (text == null) {
            return true;
        }
        int length = text.length();
        for (int i = 0; i < length; ) {
            char c = text.charAt(i);
            // printable ASCII and Latin-1's upper half: assigned, no control character. Netty reads a header's bytes as
            // Latin-1, so these two ranges are all a header from the wire holds, but for C0 and C1 controls and DEL
            if ((c >= 0x20 && c < 0x7f) || (c >= 0xa0 && c <= 0xff)) {
                i++;
                continue;
            }
            int codePoint = text.codePointAt(i);
            int type = Character.getType(codePoint);
            if (type == Character.UNASSIGNED || (type == Character.CONTROL && !(tab && codePoint == '\t'))) {
                return false;
            }
            i += Character.charCount(codePoint);
        }
        return true;
    }
}
