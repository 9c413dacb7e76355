package com.llamagateway.gateway.upstream;

import com.llamagateway.gateway.protocol.BackendRequest;
import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.reactive.Timeouts;
import com.llamagateway.gateway.routing.Deployment;
import io.netty.channel.ChannelOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeStrategies;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Calls deployments over HTTP: one Reactor Netty client per deployment (its own connect timeout) on a shared
 * connection pool, within the deployment's first-byte and stream-idle timeouts. Adds the deployment's credentials, maps every failure to a {@link GatewayError}, and
 * streams server-sent events without buffering them; cancelling a stream closes its connection.
 */
public final class UpstreamClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(UpstreamClient.class);
    private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE = new ParameterizedTypeReference<>() {
    };
    public static final String REQUEST_ID_HEADER = "x-request-id";
    /** More connections than a process has sockets: only the deployments' bulkheads bound them. */
    private static final int MAX_CONNECTIONS_PER_HOST = 65_536;

    private final Json json;
    private final WebClient.Builder builder;
    private final ExchangeStrategies strategies;
    /**
     * Connections per deployment host: as many as the calls in flight need. Each deployment's bulkhead
     * ({@code max-concurrent}) bounds those, so a call past it fails over instead of queueing here for a connection; a
     * connection idle for a minute is closed, before a load balancer drops it under a request.
     */
    private final ConnectionProvider connections = ConnectionProvider.builder("deployments").maxConnections(MAX_CONNECTIONS_PER_HOST)
            .pendingAcquireMaxCount(-1).maxIdleTime(Duration.ofSeconds(60)).build();
    private final Map<String, WebClient> clients = new ConcurrentHashMap<>();

    private final int maxResponseBytes;
    private final Duration deadline;

    /**
     * @param builder          Spring Boot's (observed: {@code http.client.requests}, trace context propagated), or a plain one
     * @param maxResponseBytes bound on a non-streamed answer and on one event of a stream
     * @param deadline         bound on a whole non-streamed call (streams are bounded by the stream-idle timeout between events)
     */
    public UpstreamClient(Json json, WebClient.Builder builder, int maxResponseBytes, Duration deadline) {
        this.json = json;
        this.builder = builder;
        this.maxResponseBytes = maxResponseBytes;
        this.deadline = deadline;
        this.strategies = ExchangeStrategies.builder().codecs(c -> c.defaultCodecs().maxInMemorySize(maxResponseBytes)).build();
    }

    /**
     * A complete, non-streamed answer: JSON (or no content type), at most {@code maxResponseBytes}, within
     * {@code deadline} from the call to the last byte. Anything else — an event stream, HTML — fails at once with 502.
     */
    public Mono<JsonNode> call(Deployment deployment, BackendRequest request, String requestId) {
        Deployment.Timeouts timeouts = deployment.timeouts();
        return send(deployment, request, requestId, MediaType.APPLICATION_JSON)
                .retrieve()
                .onStatus(status -> !status.is2xxSuccessful(), response -> failure(deployment, response))
                .toEntityFlux(DataBuffer.class)
                .transform(answer -> Timeouts.within(answer, timeouts.firstByte(), "no answer's headers"))
                .flatMap(entity -> {
                    MediaType type = entity.getHeaders().getContentType();
                    if (type != null && !MediaType.APPLICATION_JSON.isCompatibleWith(type) && !type.getSubtype().endsWith("+json")) {
                        entity.getBody().subscribe().dispose(); // closes the connection: the body may never end
                        return Mono.error(unreadable(deployment, "a " + type.getType() + "/" + type.getSubtype() + " body instead of JSON"));
                    }
                    return DataBufferUtils.join(Timeouts.eachWithin(entity.getBody(), timeouts.streamIdle(), "no more of the answer"), maxResponseBytes).map(buffer -> {
                        try {
                            byte[] bytes = new byte[buffer.readableByteCount()];
                            buffer.read(bytes);
                            return bytes;
                        } finally {
                            DataBufferUtils.release(buffer);
                        }
                    });
                })
                .transform(answer -> Timeouts.within(answer, deadline, "no complete answer"))
                .switchIfEmpty(Mono.error(() -> unreadable(deployment, "an empty answer")))
                .map(body -> decode(deployment, body, json::readUntrusted))
                .onErrorMap(e -> !(e instanceof GatewayError), e -> mapped(deployment, e));
    }

    /**
     * A streamed answer: the outer {@code Mono} completes once the deployment has answered 2xx with an event stream
     * (so failures before it still get a proper HTTP status); the inner {@code Flux} emits each event as it arrives, up
     * to {@code [DONE]}, as {@code decoder} reads its {@code data} (a {@link JacksonException} it throws makes the
     * deployment's answer unreadable, a 502): the first within the first-byte timeout of sending the request, each next
     * within the stream-idle timeout of the one before (so it ends, one way or the other, even if nobody reads it).
     * An event that cannot be read fails the stream there; the first one fails it before it counts as answered.
     * {@link FirstEvent} holds it until its first event, for failover.
     */
    public <T> Mono<Flux<T>> stream(Deployment deployment, BackendRequest request, String requestId, Function<String, T> decoder) {
        Deployment.Timeouts timeouts = deployment.timeouts();
        return Mono.defer(() -> {
            long sent = System.nanoTime();
            return send(deployment, request, requestId, MediaType.TEXT_EVENT_STREAM)
                    .retrieve()
                    .onStatus(status -> !status.is2xxSuccessful(), response -> failure(deployment, response))
                    .toEntityFlux(SSE)
                    .transform(answer -> Timeouts.within(answer, timeouts.firstByte(), "no answer's headers"))
                    .flatMap(entity -> {
                        MediaType type = entity.getHeaders().getContentType();
                        if (type == null || !MediaType.TEXT_EVENT_STREAM.isCompatibleWith(type)) {
                            entity.getBody().subscribe().dispose();
                            return Mono.error(unreadable(deployment, "a " + type + " body to a streaming request instead of an event stream"));
                        }
                        Duration firstByteLeft = timeouts.firstByte().minusNanos(System.nanoTime() - sent);
                        Flux<T> decoded = entity.getBody()
                                .filter(event -> event.data() != null && !event.data().isBlank())
                                .takeWhile(event -> !event.data().trim().equals("[DONE]"))
                                .map(event -> decode(deployment, event.data(), decoder));
                        Flux<T> events = Timeouts.eachBefore(decoded, Mono.delay(firstByteLeft.isNegative() ? Duration.ZERO : firstByteLeft),
                                        event -> Mono.delay(timeouts.streamIdle()), "no event within the first-byte or stream-idle timeout")
                                .onErrorMap(e -> !(e instanceof GatewayError), e -> mapped(deployment, e));
                        return Mono.just(events);
                    })
                    .onErrorMap(e -> !(e instanceof GatewayError), e -> mapped(deployment, e))
                    // the connection keeps this answer's subscriber while its events flow: once answered, the caller's
                    // chain (the request, the prompt) is let go, for the stream outlives it
                    .onTerminateDetach();
        });
    }

    private WebClient.RequestHeadersSpec<?> send(Deployment deployment, BackendRequest request, String requestId, MediaType accept) {
        URI uri = URI.create(deployment.url() + request.path());
        return client(deployment).post().uri(uri)
                .headers(headers -> {
                    headers.setContentType(MediaType.APPLICATION_JSON);
                    headers.set(HttpHeaders.ACCEPT, accept.toString()); // a constant's string, kept by MediaType (setAccept joins a list anew)
                    DeploymentCredentials.apply(headers, deployment);
                    if (requestId != null) {
                        headers.set(REQUEST_ID_HEADER, requestId);
                    }
                    request.headers().forEach(headers::set);
                })
                .bodyValue(json.writeBytes(request.body()));
    }

    private WebClient client(Deployment deployment) {
        return clients.computeIfAbsent(deployment.name(), name -> {
            // the first-byte and stream-idle timeouts are the calls' own (Reactor's timeout operators: exact per phase)
            HttpClient http = HttpClient.create(connections)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) deployment.timeouts().connect().toMillis());
            return builder.clone().clientConnector(new ReactorClientHttpConnector(http)).exchangeStrategies(strategies).build();
        });
    }

    private <B, T> T decode(Deployment deployment, B body, Function<B, T> decoder) {
        try {
            return decoder.apply(body);
        } catch (StreamConstraintsException e) {
            throw UpstreamFailures.tooLarge(deployment, maxResponseBytes);
        } catch (JacksonException e) {
            throw unreadable(deployment, "invalid JSON");
        }
    }

    private GatewayError mapped(Deployment deployment, Throwable error) {
        return error instanceof DataBufferLimitException ? UpstreamFailures.tooLarge(deployment, maxResponseBytes)
                : UpstreamFailures.map(deployment, error);
    }

    private static GatewayError unreadable(Deployment deployment, String what) {
        log.warn("Deployment {} returned {}", deployment.name(), what);
        return new GatewayError(HttpStatus.BAD_GATEWAY, ErrorCode.UPSTREAM_ERROR, "The model's deployment returned " + what + ".", null, null);
    }

    private Mono<? extends Throwable> failure(Deployment deployment, ClientResponse response) {
        HttpHeaders headers = response.headers().asHttpHeaders();
        int status = response.statusCode().value();
        return response.bodyToMono(String.class).defaultIfEmpty("")
                .onErrorReturn("")
                .map(body -> UpstreamFailures.fromStatus(deployment, status, headers, body, json));
    }

    @Override
    public void close() {
        connections.dispose();
    }
}
