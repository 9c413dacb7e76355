package com.llamagateway.gateway.protocol;

import org.springframework.http.HttpStatus;

/** A deployment answered something the gateway cannot read: a 502 for the caller, not their fault. */
final class UpstreamFormat {

    private UpstreamFormat() {
    }

    static GatewayError unreadable(String what) {
        return new GatewayError(HttpStatus.BAD_GATEWAY, ErrorCode.UPSTREAM_ERROR, "The deployment returned " + what + ".", null, null);
    }
}
