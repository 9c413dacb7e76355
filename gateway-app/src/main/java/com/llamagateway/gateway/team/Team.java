package com.llamagateway.gateway.team;

import java.time.Instant;
import java.util.List;

/**
 * A team: the unit that owns keys and quotas.
 *
 * @param allowedModels the models the team may use, or null for every model of the catalog
 */
public record Team(String id, String name, String description, List<String> allowedModels, Instant createdAt, Instant updatedAt) {

    public Team {
        allowedModels = allowedModels == null ? null : List.copyOf(allowedModels);
    }

    public boolean mayUse(String model) {
        return allowedModels == null || allowedModels.contains(model);
    }
}
