package com.llamagateway.gateway.safety;

import com.llamagateway.gateway.protocol.Json;
import io.netty.channel.ChannelOption;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.ExchangeStrategies;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * JSON over HTTP for the filters that call services (Azure AI Content Safety, webhooks): one connection pool, a
 * bound on answers, every failure a {@link FilterFailure} that names the host and status — never the body sent.
 */
public final class SafetyHttp implements AutoCloseable {

    private static final int MAX_ANSWER_BYTES = 256 * 1024;

    private final Json json;
    private final ConnectionProvider connections = ConnectionProvider.builder("safety").maxConnections(500)
            .pendingAcquireMaxCount(-1).build();
    private final WebClient client;

    /** @param builder Spring Boot's (observed: {@code http.client.requests}, trace context propagated), or a plain one */
    public SafetyHttp(Json json, WebClient.Builder builder) {
        this.json = json;
        HttpClient http = HttpClient.create(connections).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
                .responseTimeout(Duration.ofSeconds(60));
        this.client = builder.clone().clientConnector(new ReactorClientHttpConnector(http))
                .exchangeStrategies(ExchangeStrategies.builder().codecs(c -> c.defaultCodecs().maxInMemorySize(MAX_ANSWER_BYTES)).build())
                .build();
    }

    /** POSTs {@code body} and reads the 2xx JSON answer. */
    public Mono<JsonNode> post(URI uri, Map<String, String> headers, String body) {
        return client.post().uri(uri)
                .headers(h -> {
                    h.setContentType(MediaType.APPLICATION_JSON);
                    h.setAccept(java.util.List.of(MediaType.APPLICATION_JSON));
                    headers.forEach(h::set);
                })
                .bodyValue(body)
                .retrieve()
                .bodyToMono(String.class)
                .switchIfEmpty(Mono.error(() -> new FilterFailure(uri.getHost() + " answered with an empty body")))
                .map(answer -> {
                    try {
                        return json.readUntrusted(answer);
                    } catch (JacksonException e) {
                        throw new FilterFailure(uri.getHost() + " answered with something that is not JSON");
                    }
                })
                .onErrorMap(e -> !(e instanceof FilterFailure), e -> new FilterFailure(describe(uri, e)));
    }

    private static String describe(URI uri, Throwable error) {
        if (error instanceof WebClientResponseException status) {
            String code = status.getHeaders().getFirst("x-ms-error-code");
            return uri.getHost() + " answered HTTP " + status.getStatusCode().value() + (code == null ? "" : " (" + code + ")");
        }
        return uri.getHost() + " could not be reached: " + error.getClass().getSimpleName();
    }

    public Json json() {
        return json;
    }

    @Override
    public void close() {
        connections.dispose();
    }
}
