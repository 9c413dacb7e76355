package com.llamagateway.gateway.safety;

/**
 * A pre-check for the blocklist's patterns: the longest run of ASCII characters that every match of a pattern must
 * contain, so that a text without it skips the regular expression (which {@code java.util.regex} tries at every
 * position of the text, ~7 ns a character for a pattern that starts with {@code \b}).
 * <p>
 * Patterns are compiled with {@code CASE_INSENSITIVE | UNICODE_CASE}: a literal character {@code L} matches a text
 * character {@code c} when {@code c == fold(L)} or {@code fold(c) == fold(L)}, where {@code fold(x)} is
 * {@code toLowerCase(toUpperCase(x))} — that is how the regex engine compares them. The run is kept folded; a text
 * contains it in every case that matters when it contains it exactly or has a character that folds onto ASCII without
 * being its own fold (an ASCII capital, the dotless ı, the Kelvin sign …): {@link #hasFoldVariants}.
 * <p>
 * The pattern is read conservatively. Everything it does not know gives no run (null: the pattern is always tried):
 * inline flags ({@code (?x)} would change what the rest means), {@code \Q…\E}, back references, escapes other than
 * the character classes and boundaries, alternation at the top level, a class that begins with {@code ]}. Groups,
 * classes, {@code .}, anchors and non-ASCII characters end a run without being read further; a character with a
 * quantifier that allows none of it leaves the run, one that allows several ends it.
 */
final class RequiredLiteral {

    /** Escapes of a class of characters or of a place: opaque, one atom. */
    private static final String CLASS_ESCAPES = "dDsSwWbBAGZzhHvVRX";
    /** Characters that stand for themselves outside a class (no flags that change them are allowed). */
    private static final String PLAIN_PUNCTUATION = " -_'\",:;/@!%=~<>`#&";

    private RequiredLiteral() {
    }

    /** The folded run every match of {@code regex} contains, or null when there is none or the pattern is not understood. */
    static String of(String regex) {
        String longest = "";
        StringBuilder run = new StringBuilder();
        boolean lastInRun = false; // the previous atom is the run's last character
        boolean atom = false;      // a quantifier here applies to a previous atom
        int at = 0;
        while (at < regex.length()) {
            char c = regex.charAt(at);
            if (c == '?' || c == '*' || c == '+' || c == '{') {
                int end = quantifierEnd(regex, at);
                if (!atom || end < 0) {
                    return null;
                }
                if (lastInRun && allowsNone(regex, at)) {
                    run.setLength(run.length() - 1);
                }
                longest = longer(longest, run);
                lastInRun = false;
                atom = false;
                at = end;
                continue;
            }
            int next;
            char literal = 0;
            if (c == '|' || c == ')') {
                return null;
            } else if (c == '\\') {
                char escaped = at + 1 < regex.length() ? regex.charAt(at + 1) : 0;
                if (CLASS_ESCAPES.indexOf(escaped) >= 0) {
                    next = at + 2;
                } else if (escaped == 'p' || escaped == 'P') {
                    next = propertyEnd(regex, at + 2);
                } else if (escaped > ' ' && escaped < 0x7F && !Character.isLetterOrDigit(escaped)) {
                    literal = escaped;
                    next = at + 2;
                } else {
                    return null;
                }
            } else if (c == '[') {
                next = classEnd(regex, at);
            } else if (c == '(') {
                next = groupEnd(regex, at);
            } else if ((c < 0x80 && Character.isLetterOrDigit(c)) || PLAIN_PUNCTUATION.indexOf(c) >= 0) {
                literal = c;
                next = at + 1;
            } else {
                next = at + 1; // . ^ $ ] } controls, anything not ASCII
            }
            if (next < 0) {
                return null;
            }
            if (literal != 0) {
                run.append((char) fold(literal));
                lastInRun = true;
            } else {
                longest = longer(longest, run);
                lastInRun = false;
            }
            atom = true;
            at = next;
        }
        longest = longer(longest, run);
        return longest.isEmpty() ? null : longest;
    }

    /** Whether the text has a character {@code c} whose fold is ASCII and not {@code c} itself (A–Z, ı, ſ, K, İ …). */
    static boolean hasFoldVariants(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80 ? c >= 'A' && c <= 'Z' : fold(c) < 0x80) {
                return true;
            }
        }
        return false;
    }

    /** How the regex engine compares characters without case. */
    static int fold(int c) {
        return Character.toLowerCase(Character.toUpperCase(c));
    }

    private static String longer(String longest, StringBuilder run) {
        String candidate = run.length() > longest.length() ? run.toString() : longest;
        run.setLength(0);
        return candidate;
    }

    /** The end of {@code ?}, {@code *}, {@code +} or {@code {n}}, {@code {n,}}, {@code {n,m}}, with a lazy or possessive mark; -1 if malformed. */
    private static int quantifierEnd(String regex, int at) {
        int end = at + 1;
        if (regex.charAt(at) == '{') {
            int digits = digitsEnd(regex, end);
            if (digits == end) {
                return -1;
            }
            end = digits;
            if (end < regex.length() && regex.charAt(end) == ',') {
                end = digitsEnd(regex, end + 1);
            }
            if (end >= regex.length() || regex.charAt(end) != '}') {
                return -1;
            }
            end++;
        }
        if (end < regex.length() && (regex.charAt(end) == '?' || regex.charAt(end) == '+')) {
            end++;
        }
        return end;
    }

    private static boolean allowsNone(String regex, int at) {
        char c = regex.charAt(at);
        if (c == '{') {
            int digits = digitsEnd(regex, at + 1);
            return regex.substring(at + 1, digits).chars().allMatch(d -> d == '0');
        }
        return c == '?' || c == '*';
    }

    private static int digitsEnd(String regex, int at) {
        while (at < regex.length() && regex.charAt(at) >= '0' && regex.charAt(at) <= '9') {
            at++;
        }
        return at;
    }

    /** After {@code \p} or {@code \P}: the end of {@code {Name}} or of a one-letter name; -1 if malformed. */
    private static int propertyEnd(String regex, int at) {
        if (at >= regex.length()) {
            return -1;
        }
        if (regex.charAt(at) != '{') {
            return at + 1;
        }
        int close = regex.indexOf('}', at);
        return close < 0 ? -1 : close + 1;
    }

    /** The end of the escape at {@code at} inside a class or group (its next character); -1 for {@code \Q}, whose end is not read. */
    private static int escapeEnd(String regex, int at) {
        return at + 1 < regex.length() && regex.charAt(at + 1) == 'Q' ? -1 : at + 2;
    }

    /** The end of the class that opens at {@code at} (nested classes, escapes); -1 for {@code \Q}, a leading {@code ]}, or no end. */
    private static int classEnd(String regex, int at) {
        int depth = 0;
        int i = at;
        while (i < regex.length()) {
            char c = regex.charAt(i);
            if (c == '\\') {
                i = escapeEnd(regex, i);
                if (i < 0) {
                    return -1;
                }
            } else if (c == '[') {
                depth++;
                i++;
                if (i < regex.length() && regex.charAt(i) == '^') {
                    i++;
                }
                if (i < regex.length() && regex.charAt(i) == ']') {
                    return -1; // a ']' that is a member, not the end: not worth reading
                }
            } else if (c == ']') {
                depth--;
                i++;
                if (depth == 0) {
                    return i;
                }
            } else {
                i++;
            }
        }
        return -1;
    }

    /**
     * The end of the group that opens at {@code at} (nested groups and classes, escapes); -1 for flags anywhere in it,
     * {@code \Q}, or no end.
     */
    private static int groupEnd(String regex, int at) {
        int depth = 0;
        int i = at;
        while (i < regex.length()) {
            char c = regex.charAt(i);
            if (c == '\\') {
                i = escapeEnd(regex, i);
                if (i < 0) {
                    return -1;
                }
            } else if (c == '[') {
                i = classEnd(regex, i);
                if (i < 0) {
                    return -1;
                }
            } else if (c == '(') {
                if (!knownGroup(regex, i)) {
                    return -1;
                }
                depth++;
                i++;
            } else if (c == ')') {
                depth--;
                i++;
                if (depth == 0) {
                    return i;
                }
            } else {
                i++;
            }
        }
        return -1;
    }

    /** A capturing, non-capturing, named or atomic group or a look-around — not {@code (?flags)} or {@code (?flags:…)}. */
    private static boolean knownGroup(String regex, int at) {
        if (at + 1 >= regex.length() || regex.charAt(at + 1) != '?') {
            return true;
        }
        char kind = at + 2 < regex.length() ? regex.charAt(at + 2) : 0;
        if (kind == ':' || kind == '=' || kind == '!' || kind == '>') {
            return true;
        }
        if (kind == '<') {
            char after = at + 3 < regex.length() ? regex.charAt(at + 3) : 0;
            return after == '=' || after == '!' || (after < 0x80 && Character.isLetter(after));
        }
        return false;
    }
}
