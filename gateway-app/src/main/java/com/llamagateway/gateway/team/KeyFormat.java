package com.llamagateway.gateway.team;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.zip.CRC32;

/**
 * Team keys: {@code llgw_} + 33 base62 characters (192 random bits) + a 6-character base62 CRC-32 checksum, so a
 * mistyped or made-up key is refused before any lookup. Stored only as a SHA-256 hash: a key is a high-entropy
 * secret, so a fast hash suffices and lookups go by hash.
 */
public final class KeyFormat {

    public static final String PREFIX = "llgw_";
    private static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final int BODY = 33;
    private static final int CHECKSUM = 6;
    public static final int LENGTH = PREFIX.length() + BODY + CHECKSUM;
    /** How much of a key is shown to admins and in listings. */
    static final int DISPLAY_PREFIX = PREFIX.length() + 6;

    private static final SecureRandom RANDOM = new SecureRandom();
    /** One digest per thread: every request's key is hashed, and looking up the algorithm each time cost as much as hashing. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    });

    private KeyFormat() {
    }

    public static String generate() {
        byte[] random = new byte[24];
        RANDOM.nextBytes(random);
        String body = base62(new BigInteger(1, random), BODY);
        return PREFIX + body + checksum(PREFIX + body);
    }

    /**
     * Prefix, length, alphabet and checksum; says nothing about whether the key exists. Every request's key is
     * checked here: the checksum is compared digit by digit, without building its text.
     */
    public static boolean isWellFormed(String key) {
        if (key == null || key.length() != LENGTH || !key.startsWith(PREFIX)) {
            return false;
        }
        for (int i = PREFIX.length(); i < LENGTH; i++) {
            if (BASE62.indexOf(key.charAt(i)) < 0) {
                return false;
            }
        }
        CRC32 crc = new CRC32();
        crc.update(key.getBytes(StandardCharsets.US_ASCII), 0, LENGTH - CHECKSUM);
        long value = crc.getValue(); // below 62^6: six base62 digits, the last one least significant
        for (int i = LENGTH - 1; i >= LENGTH - CHECKSUM; i--, value /= 62) {
            if (key.charAt(i) != BASE62.charAt((int) (value % 62))) {
                return false;
            }
        }
        return true;
    }

    /** The key's SHA-256, in hex: how it is stored and looked up. */
    public static String hash(String key) {
        MessageDigest sha256 = SHA256.get();
        return HexFormat.of().formatHex(sha256.digest(key.getBytes(StandardCharsets.UTF_8))); // digest() leaves it reset
    }

    static String displayPrefix(String key) {
        return key.substring(0, DISPLAY_PREFIX);
    }

    private static String checksum(String payload) {
        CRC32 crc = new CRC32();
        crc.update(payload.getBytes(StandardCharsets.US_ASCII));
        return base62(BigInteger.valueOf(crc.getValue()), CHECKSUM);
    }

    private static String base62(BigInteger value, int width) {
        StringBuilder text = new StringBuilder();
        BigInteger base = BigInteger.valueOf(62);
        while (value.signum() > 0) {
            BigInteger[] division = value.divideAndRemainder(base);
            text.append(BASE62.charAt(division[1].intValue()));
            value = division[0];
        }
        while (text.length() < width) {
            text.append('0');
        }
        return text.reverse().toString();
    }
}
