package com.llamagateway.gateway.team;

import java.util.List;

/**
 * The team a request was authenticated as, and with which key: what the pipeline's later stages (model
 * permission, quotas, usage) know of the caller.
 *
 * @param allowedModels null for every model
 */
public record CallerTeam(String teamId, String teamName, String keyId, List<String> allowedModels) {

    public CallerTeam {
        allowedModels = allowedModels == null ? null : List.copyOf(allowedModels);
    }

    public boolean mayUse(String model) {
        return allowedModels == null || allowedModels.contains(model);
    }
}
