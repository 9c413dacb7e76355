package com.llamagateway.gateway.quota;

/** A scope with its limits as this replica knows them. */
public record ScopeQuota(Scope scope, ScopeLimits limits) {
}
