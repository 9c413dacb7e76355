package com.llamagateway.gateway.config;

import com.llamagateway.gateway.usage.GenAiMeters;
import com.llamagateway.gateway.usage.UsageLedger;
import com.llamagateway.gateway.usage.UsageProperties;
import com.llamagateway.gateway.usage.UsageRecorder;
import com.llamagateway.gateway.usage.UsageStore;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.r2dbc.core.DatabaseClient;

import java.time.Clock;

/** Wires the usage stage: the ledger (its table, its writer) and the GenAI meters. */
@Configuration(proxyBeanMethods = false)
public class UsageConfiguration {

    @Bean
    UsageStore usageStore(DatabaseClient db) {
        return new UsageStore(db);
    }

    @Bean
    @ConditionalOnProperty(name = "gateway.usage.ledger", havingValue = "true", matchIfMissing = true)
    UsageLedger usageLedger(UsageStore store, GatewayProperties properties, MeterRegistry registry) {
        return new UsageLedger(store, properties.usage(), Clock.systemUTC(), registry);
    }

    @Bean
    UsageRecorder usageRecorder(GatewayProperties properties, MeterRegistry registry, ObjectProvider<UsageLedger> ledger) {
        UsageProperties usage = properties.usage();
        return new UsageRecorder(new GenAiMeters(registry, usage.teamTagLimit()), ledger.getIfAvailable(), Clock.systemUTC());
    }
}
