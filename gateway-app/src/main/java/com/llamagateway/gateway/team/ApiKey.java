package com.llamagateway.gateway.team;

import java.time.Instant;

/**
 * What is known of a key besides its secret.
 *
 * @param id     the stable public id
 * @param prefix the key's first characters, for recognising it
 */
public record ApiKey(String id, String teamId, String name, String prefix, Instant createdAt, Instant expiresAt,
                     Instant revokedAt, Instant lastUsedAt) {

    public boolean activeAt(Instant now) {
        return revokedAt == null && (expiresAt == null || expiresAt.isAfter(now));
    }
}
