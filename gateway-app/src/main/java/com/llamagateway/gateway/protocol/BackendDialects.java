package com.llamagateway.gateway.protocol;

import java.util.EnumMap;
import java.util.Map;

/** The dialect the gateway speaks to each kind of deployment, by name. */
public final class BackendDialects {

    private final Map<DialectName, BackendDialect> byName = new EnumMap<>(DialectName.class);

    public BackendDialects(BackendDialect... dialects) {
        for (BackendDialect dialect : dialects) {
            byName.put(dialect.name(), dialect);
        }
    }

    public BackendDialect get(DialectName name) {
        BackendDialect dialect = byName.get(name);
        if (dialect == null) {
            throw new IllegalArgumentException("No backend dialect " + name);
        }
        return dialect;
    }
}
