package com.llamagateway.gateway.security;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The admin token of installations without an identity provider: {@code GATEWAY_ADMIN_TOKEN}, or one generated on
 * first start into {@code <data-dir>/admin-token} (readable by the owner only). The token is never logged.
 */
public final class BootstrapAdminToken {

    private static final Logger log = LoggerFactory.getLogger(BootstrapAdminToken.class);

    private final byte[] token;

    private BootstrapAdminToken(String token) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    public static BootstrapAdminToken resolve(String configured, Path dataDir) {
        if (configured != null && !configured.isBlank()) {
            if (configured.length() < 24) {
                throw new IllegalStateException("gateway.admin.token (GATEWAY_ADMIN_TOKEN) must be at least 24 characters");
            }
            log.info("Admin API: bootstrap token from gateway.admin.token (GATEWAY_ADMIN_TOKEN)");
            return new BootstrapAdminToken(configured.trim());
        }
        Path file = dataDir.resolve("admin-token");
        try {
            if (Files.exists(file)) {
                log.info("Admin API: bootstrap token in {}", file.toAbsolutePath().normalize());
                return new BootstrapAdminToken(Files.readString(file).trim());
            }
            Files.createDirectories(dataDir);
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            String token = "llgw-admin-" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            Files.writeString(file, token + "\n");
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                log.warn("Could not restrict the permissions of {}", file);
            }
            log.info("Admin API: generated a bootstrap token into {}", file.toAbsolutePath().normalize());
            return new BootstrapAdminToken(token);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read or write the bootstrap admin token " + file, e);
        }
    }

    /** Constant-time comparison. */
    public boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
    }
}
