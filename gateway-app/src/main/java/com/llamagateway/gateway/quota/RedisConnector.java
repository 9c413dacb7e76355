package com.llamagateway.gateway.quota;

import com.llamagateway.gateway.config.GatewayProperties;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;

import java.time.Duration;
import java.util.List;

/**
 * The Lettuce connection behind {@link RedisBucketStore}: standalone or Sentinel ({@code gateway.quota.redis.url})
 * or Cluster ({@code gateway.quota.redis.cluster}). Commands fail at once while disconnected (rather than queue) and
 * after {@code timeout}; Lettuce reconnects by itself.
 */
public final class RedisConnector implements AutoCloseable {

    /** A bucket's key outlives the time it needs to fill up again by this much. */
    private static final Duration KEEP_AFTER_FULL = Duration.ofSeconds(10);

    private final AbstractRedisClient client;
    private final StatefulConnection<String, byte[]> connection;
    private final AsyncProxyManager<String> buckets;

    private RedisConnector(AbstractRedisClient client, StatefulConnection<String, byte[]> connection, AsyncProxyManager<String> buckets) {
        this.client = client;
        this.connection = connection;
        this.buckets = buckets;
    }

    public static RedisConnector connect(GatewayProperties.Redis config, TimeMeter clock) {
        RedisCodec<String, byte[]> codec = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
        TimeoutOptions timeouts = TimeoutOptions.enabled(config.timeout());
        try {
            if (!config.cluster().isEmpty()) {
                List<RedisURI> seeds = config.cluster().stream().map(RedisURI::create).toList();
                RedisClusterClient client = RedisClusterClient.create(seeds);
                client.setOptions(ClusterClientOptions.builder().disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                        .timeoutOptions(timeouts).build());
                StatefulRedisClusterConnection<String, byte[]> connection = client.connect(codec);
                return new RedisConnector(client, connection, buckets(Bucket4jLettuce.casBasedBuilder(connection), clock));
            }
            RedisClient client = RedisClient.create(RedisURI.create(config.url()));
            client.setOptions(ClientOptions.builder().disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(timeouts).build());
            StatefulRedisConnection<String, byte[]> connection = client.connect(codec);
            return new RedisConnector(client, connection, buckets(Bucket4jLettuce.casBasedBuilder(connection), clock));
        } catch (RuntimeException e) {
            throw new IllegalStateException("gateway.quota.store=redis, but Redis at " + where(config) + " cannot be reached: " + e.getMessage(), e);
        }
    }

    private static AsyncProxyManager<String> buckets(Bucket4jLettuce.LettuceBasedProxyManagerBuilder<String> builder, TimeMeter clock) {
        return builder.clientClock(clock)
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(KEEP_AFTER_FULL))
                .build().asAsync();
    }

    /** Hosts and ports only: a URL may carry a password. */
    private static String where(GatewayProperties.Redis config) {
        List<String> urls = config.cluster().isEmpty() ? List.of(config.url()) : config.cluster();
        return urls.stream().map(url -> {
            RedisURI uri = RedisURI.create(url);
            return uri.getSentinels().isEmpty() ? uri.getHost() + ":" + uri.getPort()
                    : "sentinels " + uri.getSentinels().stream().map(s -> s.getHost() + ":" + s.getPort()).toList() + " master " + uri.getSentinelMasterId();
        }).toList().toString();
    }

    public AsyncProxyManager<String> buckets() {
        return buckets;
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
