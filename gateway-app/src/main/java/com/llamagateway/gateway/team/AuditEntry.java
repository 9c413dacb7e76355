package com.llamagateway.gateway.team;

import java.time.Instant;

/** One admin change: who did what to which thing, its state before and after (JSON, secrets never included). */
public record AuditEntry(long id, Instant at, String actor, String action, String targetType, String targetId,
                         String before, String after) {
}
