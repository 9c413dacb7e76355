package com.llamagateway.gateway.security;

import java.util.function.Predicate;

/**
 * The characters Spring Security's firewall lets through in a request's header names and values
 * ({@code StrictServerWebExchangeFirewall.ALLOWED_HEADER_NAMES} and {@code ALLOWED_HEADER_VALUES}): assigned Unicode code
 * points that are not control characters, and in values a tab too. The same decision as the firewall's regular
 * expressions, in a loop that passes printable ASCII at a glance: the firewall asks it for every header the gateway
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
            if (c >= 0x20 && c < 0x7f) { // printable ASCII: assigned, no control character
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
