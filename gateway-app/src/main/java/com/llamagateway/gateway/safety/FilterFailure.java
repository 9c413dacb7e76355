package com.llamagateway.gateway.safety;

/**
 * A filter could not reach a verdict (its service failed, answered something unreadable, …). Its message is logged
 * and must not contain the screened text or a secret.
 */
public final class FilterFailure extends RuntimeException {

    public FilterFailure(String message) {
        super(message, null, false, false);
    }
}
