package com.llamagateway.gateway.usage;

import com.llamagateway.gateway.support.PostgresSchema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Map;

/** {@link UsageLedgerEndToEnd} on a real PostgreSQL, in a schema of its own. */
@ExtendWith(PostgresSchema.Required.class)
class UsageLedgerOnPostgresTest extends UsageLedgerEndToEnd {

    private static PostgresSchema schema;

    @BeforeAll
    static void createSchema() {
        schema = PostgresSchema.create();
    }

    @AfterAll
    static void dropSchema() {
        if (schema != null) {
            schema.close();
        }
    }

    @Override
    Map<String, String> database() {
        return schema.properties();
    }
}
