package com.llamagateway.gateway.pipeline;

import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.team.CallerTeam;
import org.springframework.http.HttpStatus;

/** A team limited to some models gets 403 for the others. */
public final class ModelPermission {

    private ModelPermission() {
    }

    public static void check(CallerTeam team, String model) {
        if (!team.mayUse(model)) {
            throw new GatewayError(HttpStatus.FORBIDDEN, ErrorCode.MODEL_NOT_ALLOWED,
                    "The team '" + team.teamName() + "' may not use the model '" + model + "'.", "model", null);
        }
    }
}
