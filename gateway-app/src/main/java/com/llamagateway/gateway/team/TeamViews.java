package com.llamagateway.gateway.team;

import com.llamagateway.gateway.protocol.Json;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.time.Instant;

/** The JSON of teams and keys, for the admin API and the audit log alike. A key's secret and hash never appear. */
public final class TeamViews {

    private final Json json;

    public TeamViews(Json json) {
        this.json = json;
    }

    public ObjectNode team(Team team) {
        ObjectNode node = json.object();
        node.put("id", team.id());
        node.put("name", team.name());
        node.put("description", team.description());
        if (team.allowedModels() == null) {
            node.putNull("models");
        } else {
            ArrayNode models = node.putArray("models");
            team.allowedModels().forEach(models::add);
        }
        node.put("createdAt", text(team.createdAt()));
        node.put("updatedAt", text(team.updatedAt()));
        return node;
    }

    public ObjectNode key(ApiKey key) {
        ObjectNode node = json.object();
        node.put("id", key.id());
        node.put("teamId", key.teamId());
        node.put("name", key.name());
        node.put("prefix", key.prefix());
        node.put("createdAt", text(key.createdAt()));
        node.put("expiresAt", text(key.expiresAt()));
        node.put("revokedAt", text(key.revokedAt()));
        node.put("lastUsedAt", text(key.lastUsedAt()));
        node.put("active", key.activeAt(Instant.now()));
        return node;
    }

    public ObjectNode audit(AuditEntry entry) {
        ObjectNode node = json.object();
        node.put("id", entry.id());
        node.put("at", text(entry.at()));
        node.put("actor", entry.actor());
        node.put("action", entry.action());
        node.put("targetType", entry.targetType());
        node.put("targetId", entry.targetId());
        node.set("before", entry.before() == null ? null : json.readUntrusted(entry.before()));
        node.set("after", entry.after() == null ? null : json.readUntrusted(entry.after()));
        return node;
    }

    String write(ObjectNode node) {
        return json.write(node);
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
