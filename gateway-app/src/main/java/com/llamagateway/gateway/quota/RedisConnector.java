package com.llamagateway.gateway.quota;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.reactive.RedisScriptingReactiveCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Lettuce connection behind {@link RedisQuotaStore}: standalone or Sentinel ({@code gateway.quota.redis.url})
 * or Cluster ({@code gateway.quota.redis.cluster}). Commands fail at once while disconnected (rather than queue);
 * Lettuce reconnects by itself. Answers are emitted on Lettuce's computation threads, not on the connection's I/O
 * thread: what a request does after its admission (and a settlement, its answer) must not hold up the next replies. Calls are timed out by {@link RedisWithFallback}; Lettuce's own timeout is only a
 * backstop behind it.
 */
public final class RedisConnector implements AutoCloseable {

    /** Reconnect attempts back off from 10 ms to at most 1 s (Lettuce's default grows to 30 s: minutes of degraded quotas). */
    private static final Delay RECONNECT = Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS);

    private final AbstractRedisClient client;
    private final ClientResources resources;
    private final StatefulConnection<String, String> connection;
    private final RedisScriptingReactiveCommands<String, String> commands;

    private RedisConnector(AbstractRedisClient client, ClientResources resources, StatefulConnection<String, String> connection,
                           RedisScriptingReactiveCommands<String, String> commands) {
        this.client = client;
        this.resources = resources;
        this.connection = connection;
        this.commands = commands;
    }

    public static RedisConnector connect(QuotaProperties.Redis config) {
        TimeoutOptions timeouts = TimeoutOptions.enabled(config.timeout().multipliedBy(4));
        ClientResources resources = DefaultClientResources.builder().reconnectDelay(RECONNECT).build();
        try {
            if (!config.cluster().isEmpty()) {
                List<RedisURI> seeds = config.cluster().stream().map(RedisURI::create).toList();
                RedisClusterClient client = RedisClusterClient.create(resources, seeds);
                client.setOptions(ClusterClientOptions.builder().disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                        .timeoutOptions(timeouts).publishOnScheduler(true).build());
                StatefulRedisClusterConnection<String, String> connection = client.connect(StringCodec.UTF8);
                return new RedisConnector(client, resources, connection, connection.reactive());
            }
            RedisClient client = RedisClient.create(resources, RedisURI.create(config.url()));
            client.setOptions(ClientOptions.builder().disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(timeouts).publishOnScheduler(true).build());
            StatefulRedisConnection<String, String> connection = client.connect(StringCodec.UTF8);
            return new RedisConnector(client, resources, connection, connection.reactive());
        } catch (RuntimeException e) {
            resources.shutdown();
            throw new IllegalStateException("gateway.quota.store=redis, but Redis at " + where(config) + " cannot be reached: " + e.getMessage(), e);
        }
    }

    /** Hosts and ports only: a URL may carry a password. */
    private static String where(QuotaProperties.Redis config) {
        List<String> urls = config.cluster().isEmpty() ? List.of(config.url()) : config.cluster();
        return urls.stream().map(url -> {
            RedisURI uri = RedisURI.create(url);
            return uri.getSentinels().isEmpty() ? uri.getHost() + ":" + uri.getPort()
                    : "sentinels " + uri.getSentinels().stream().map(s -> s.getHost() + ":" + s.getPort()).toList() + " master " + uri.getSentinelMasterId();
        }).toList().toString();
    }

    public RedisScriptingReactiveCommands<String, String> commands() {
        return commands;
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
