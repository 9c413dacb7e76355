package com.llamagateway.gateway.quota;

import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.support.ManualClock;
import com.llamagateway.gateway.support.RedisProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** The failure policy around a real Redis of the test's own, which the test kills. */
class RedisWithFallbackTest {

    private static final String MODEL = "Meta-Llama-3.1-70B-Instruct";

    private RedisProcess redis;
    private RedisConnector connector;
    private RedisWithFallback store;
    private final ManualClock clock = new ManualClock();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private static QuotaProperties.Redis config(String url, Map<String, String> more) {
        Map<String, String> properties = new java.util.HashMap<>(Map.of("url", url, "replicas", "2"));
        properties.putAll(more);
        return new Binder(new MapConfigurationPropertySource(properties)).bindOrCreate("", Bindable.of(QuotaProperties.Redis.class));
    }

    @BeforeEach
    void start() throws Exception {
        redis = RedisProcess.start();
        QuotaProperties.Redis config = config(redis.url(), Map.of());
        connector = RedisConnector.connect(config);
        RedisQuotaStore onRedis = new RedisQuotaStore(connector.commands(), clock);
        onRedis.load().block();
        store = new RedisWithFallback(onRedis, config, clock, new QuotaMetrics(meters));
        store.start();
    }

    @AfterEach
    void stop() throws Exception {
        store.stop();
        connector.close();
        redis.close();
    }

    private static ScopeQuota deployment(long requestsPerMinute) {
        return new ScopeQuota(Scope.deployment("d"), new ScopeLimits(1_000_000L, requestsPerMinute, ScopeLimits.CONFIG, 1));
    }

    private QuotaStore.AdmitAnswer admit(ScopeQuota team, ScopeQuota deployment) {
        return store.admit(new QuotaStore.Admit(UUID.randomUUID().toString(), MODEL, team, List.of(deployment), 10)).block();
    }

    @Test
    void aDeadRedisOpensTheBreakerAndDeploymentsAdmitFromASeededShare() throws Exception {
        ScopeQuota free = new ScopeQuota(Scope.team("free", MODEL), new ScopeLimits(null, null, ScopeLimits.CONFIG, 1));
        ScopeQuota limited = new ScopeQuota(Scope.team("limited", MODEL), new ScopeLimits(null, 100L, ScopeLimits.ADMIN, 1));
        for (int i = 0; i < 40; i++) {
            assertThat(admit(free, deployment(100)).status()).isEqualTo(QuotaStore.Status.ADMITTED);
        }
        assertThat(store.degraded()).isFalse();
        redis.kill();
        int admitted = 0;
        for (int i = 0; i < 100 && admit(free, deployment(100)).status() == QuotaStore.Status.ADMITTED; i++) {
            admitted++;
        }
        assertThat(admitted).as("half of the 60 left").isEqualTo(30);
        assertThat(store.degraded()).as("breaker open").isTrue();
        Throwable refused = catchThrowable(() -> admit(limited, deployment(100)));
        assertThat(refused).isInstanceOf(GatewayError.class);
        assertThat(((GatewayError) refused).code()).isEqualTo(com.llamagateway.gateway.protocol.ErrorCode.QUOTA_UNAVAILABLE);

        // Redis back (empty), no request comes: the heartbeat probes it, the breaker closes, the 30 are charged back
        redis.resume();
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        while ((store.degraded() || meters.find("gateway.quota.local.charged").tag("unit", "requests").counter() == null)
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(store.degraded()).as("closed without a request").isFalse();
        assertThat(meters.get("gateway.quota.local.charged").tag("unit", "requests").counter().count()).isEqualTo(30);
        assertThat(store.peek(MODEL, deployment(100)).block().levels().requestsLeft()).as("a full bucket less what was admitted alone")
                .isEqualTo(70);
    }
}
