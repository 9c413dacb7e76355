package com.llamagateway.gateway.usage;

import java.util.Map;
import java.util.UUID;

/** {@link UsageLedgerEndToEnd} on the embedded default's database, H2 (in memory here, kept between the two gateways). */
class UsageLedgerOnH2Test extends UsageLedgerEndToEnd {

    private static final String DATABASE = "usage-" + UUID.randomUUID();

    @Override
    Map<String, String> database() {
        return Map.of("spring.r2dbc.url", "r2dbc:h2:mem:///" + DATABASE + "?options=DB_CLOSE_DELAY=-1",
                "spring.flyway.url", "jdbc:h2:mem:" + DATABASE + ";DB_CLOSE_DELAY=-1");
    }
}
