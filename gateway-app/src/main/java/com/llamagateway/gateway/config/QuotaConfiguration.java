package com.llamagateway.gateway.config;

import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.quota.Admission;
import com.llamagateway.gateway.quota.BucketStore;
import com.llamagateway.gateway.quota.LimitsRepository;
import com.llamagateway.gateway.quota.MemoryBucketStore;
import com.llamagateway.gateway.quota.QuotaAdmin;
import com.llamagateway.gateway.quota.QuotaLimits;
import com.llamagateway.gateway.quota.QuotaMetrics;
import com.llamagateway.gateway.quota.RedisBucketStore;
import com.llamagateway.gateway.quota.RedisConnector;
import com.llamagateway.gateway.quota.RedisWithFallback;
import com.llamagateway.gateway.routing.DeploymentCatalog;
import com.llamagateway.gateway.team.TeamService;
import com.llamagateway.gateway.team.TeamStore;
import com.llamagateway.gateway.tokens.LlamaTokenCounter;
import io.github.bucket4j.TimeMeter;
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

/**
 * Wires quotas: limits (configuration + admin API), the bucket store ({@code gateway.quota.store}) and admission.
 * The buckets' clock is the system's unless the context holds a {@link TimeMeter} (tests hold the clock still).
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
    RedisConnector redisConnector(GatewayProperties properties, ObjectProvider<TimeMeter> clock) {
        return RedisConnector.connect(properties.quota().redis(), clock(clock));
    }

    @Bean
    BucketStore bucketStore(GatewayProperties properties, ObjectProvider<TimeMeter> clock, ObjectProvider<RedisConnector> redis, QuotaMetrics metrics) {
        GatewayProperties.Quota quota = properties.quota();
        MemoryBucketStore memory = new MemoryBucketStore(clock(clock));
        if (quota.store() == GatewayProperties.Quota.StoreKind.MEMORY) {
            log.info("Quota buckets in memory: exact for this replica alone (gateway.quota.store=redis to share them)");
            return memory;
        }
        GatewayProperties.Redis config = quota.redis();
        log.info("Quota buckets in Redis, shared by every replica; while Redis does not answer: deployments {}, teams {}",
                config.onFailure().deployment(), config.onFailure().team());
        return new RedisWithFallback(new RedisBucketStore(redis.getObject().buckets(), config.timeout()), memory, config.replicas(),
                config.onFailure(), config.retryInterval(), metrics);
    }

    private static TimeMeter clock(ObjectProvider<TimeMeter> clock) {
        return clock.getIfAvailable(() -> TimeMeter.SYSTEM_MILLISECONDS);
    }

    @Bean
    Admission admission(QuotaLimits limits, BucketStore store, LlamaTokenCounter counter, GatewayProperties properties, QuotaMetrics metrics) {
        return new Admission(limits, store, counter, properties.quota().defaultMaxTokens(), metrics);
    }

    @Bean
    QuotaAdmin quotaAdmin(LimitsRepository repository, QuotaLimits limits, BucketStore store, DeploymentCatalog catalog, TeamService teams,
                          TeamStore teamStore, ReactiveTransactionManager transactions, Json json) {
        return new QuotaAdmin(repository, limits, store, catalog, teams, teamStore, TransactionalOperator.create(transactions), json,
                Clock.systemUTC());
    }
}
