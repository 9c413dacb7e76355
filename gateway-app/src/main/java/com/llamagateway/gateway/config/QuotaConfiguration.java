package com.llamagateway.gateway.config;

import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.quota.Admission;
import com.llamagateway.gateway.quota.LimitsRepository;
import com.llamagateway.gateway.quota.MemoryQuotaStore;
import com.llamagateway.gateway.quota.QuotaAdmin;
import com.llamagateway.gateway.quota.QuotaClock;
import com.llamagateway.gateway.quota.QuotaLimits;
import com.llamagateway.gateway.quota.QuotaMetrics;
import com.llamagateway.gateway.quota.QuotaProperties;
import com.llamagateway.gateway.quota.QuotaStore;
import com.llamagateway.gateway.quota.RedisConnector;
import com.llamagateway.gateway.quota.RedisQuotaStore;
import com.llamagateway.gateway.quota.RedisWithFallback;
import com.llamagateway.gateway.routing.DeploymentCatalog;
import com.llamagateway.gateway.team.TeamService;
import com.llamagateway.gateway.team.TeamStore;
import com.llamagateway.gateway.tokens.LlamaTokenCounter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;

import java.time.Clock;
import java.time.Duration;

/**
 * Wires quotas: limits (configuration + admin API), the store ({@code gateway.quota.store}) and admission.
 * The buckets' clock is the system's (memory) or the Redis server's (redis) unless the context holds a
 * {@link QuotaClock} (tests hold the clock still).
 */
@Configuration(proxyBeanMethods = false)
public class QuotaConfiguration {

    private static final Logger log = LoggerFactory.getLogger(QuotaConfiguration.class);

    @Bean
    QuotaMetrics quotaMetrics(MeterRegistry registry) {
        return new QuotaMetrics(registry);
    }

    @Bean
    LimitsRepository limitsRepository(DatabaseClient db) {
        return new LimitsRepository(db);
    }

    @Bean
    QuotaLimits quotaLimits(LimitsRepository repository, GatewayProperties properties) {
        return new QuotaLimits(repository, properties.quota().teamDefault(), System.currentTimeMillis(), properties.quota().limitsRefresh());
    }

    /** Connected only when {@code gateway.quota.store=redis}. */
    @Bean(destroyMethod = "close")
    @Lazy
    RedisConnector redisConnector(GatewayProperties properties) {
        return RedisConnector.connect(properties.quota().redis());
    }

    @Bean
    QuotaStore quotaStore(GatewayProperties properties, ObjectProvider<QuotaClock> clock, ObjectProvider<RedisConnector> redis,
                          QuotaMetrics metrics) {
        QuotaProperties quota = properties.quota();
        QuotaClock testClock = clock.getIfAvailable();
        if (quota.store() == QuotaProperties.StoreKind.MEMORY) {
            log.info("Quota buckets in memory: exact for this replica alone (gateway.quota.store=redis to share them)");
            return testClock == null ? new MemoryQuotaStore() : new MemoryQuotaStore(testClock::currentTimeMillis, MemoryQuotaStore.Seed.FULL);
        }
        QuotaProperties.Redis config = quota.redis();
        RedisQuotaStore store = new RedisQuotaStore(redis.getObject().commands(), testClock);
        store.load().block(Duration.ofSeconds(10));
        log.info("Quota buckets in Redis, shared by every replica (one script per admission, on the Redis clock); while Redis is "
                + "unavailable: deployments {}, teams {}", config.onFailure().deployment(), config.onFailure().team());
        return new RedisWithFallback(store, config, testClock, metrics);
    }

    @Bean
    Admission admission(QuotaLimits limits, QuotaStore store, LlamaTokenCounter counter, GatewayProperties properties, QuotaMetrics metrics) {
        return new Admission(limits, store, counter, properties.quota().defaultMaxTokens(), metrics);
    }

    @Bean
    QuotaAdmin quotaAdmin(LimitsRepository repository, QuotaLimits limits, QuotaStore store, DeploymentCatalog catalog, TeamService teams,
                          TeamStore teamStore, ReactiveTransactionManager transactions, Json json) {
        return new QuotaAdmin(repository, limits, store, catalog, teams, teamStore, TransactionalOperator.create(transactions), json,
                Clock.systemUTC());
    }
}
