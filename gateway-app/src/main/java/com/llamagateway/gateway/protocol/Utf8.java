package com.llamagateway.gateway.protocol;

/**
 * Strict UTF-8 (RFC 3629): no overlong forms, no encoded surrogates, nothing above U+10FFFF, no truncated sequence.
 * Jackson decodes some of these silently (an overlong {@code C0 AF} becomes {@code /}), so client bodies are checked
 * here before they are parsed.
 */
public final class Utf8 {

    private Utf8() {
    }

    /** The offset of the first byte that does not start a well-formed sequence, or -1 when all of it is well formed. */
    public static int firstInvalid(byte[] bytes) {
        int i = 0;
        int n = bytes.length;
        while (i < n) {
            int c = bytes[i];
            if (c >= 0) {
                i++;
                continue;
            }
            c &= 0xFF;
            if (c < 0xC2) {
                return i; // a continuation byte first, or an overlong two-byte form
            }
            if (c < 0xE0) {
                if (i + 1 >= n || !continuation(bytes[i + 1])) {
                    return i;
                }
                i += 2;
            } else if (c < 0xF0) {
                if (i + 2 >= n) {
                    return i;
                }
                int c1 = bytes[i + 1] & 0xFF;
                if (!continuation(bytes[i + 1]) || (c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0) || !continuation(bytes[i + 2])) {
                    return i; // overlong three-byte form, or a surrogate
                }
                i += 3;
            } else if (c < 0xF5) {
                if (i + 3 >= n) {
                    return i;
                }
                int c1 = bytes[i + 1] & 0xFF;
                if (!continuation(bytes[i + 1]) || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90)
                        || !continuation(bytes[i + 2]) || !continuation(bytes[i + 3])) {
                    return i; // overlong four-byte form, or above U+10FFFF
                }
                i += 4;
            } else {
                return i;
            }
        }
        return -1;
    }

    private static boolean continuation(byte b) {
        return (b & 0xC0) == 0x80;
    }
}
