package com.llamagateway.gateway.upstream;

import com.llamagateway.gateway.protocol.BackendRequest;
import com.llamagateway.gateway.protocol.DialectName;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.routing.DeploymentKind;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.SenderContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Calls to deployments are timed as {@code http.client.requests} with the tags Spring's WebClient gave them — host,
 * method, status, outcome, exception, {@code uri=none} — and carry what a tracer propagates, over real HTTP.
 */
class UpstreamObservationTest {

    private static DisposableServer server;
    private static final Map<String, String> lastHeaders = new ConcurrentHashMap<>();
    private final Json json = Json.lenient();

    @BeforeAll
    static void deployment() {
        server = HttpServer.create().host("127.0.0.1").port(0).route(routes -> routes
                .post("/ok/v1/chat/completions", (request, response) -> {
                    request.requestHeaders().forEach(h -> lastHeaders.put(h.getKey().toLowerCase(), h.getValue()));
                    return request.receive().then(response.header("Content-Type", "application/json")
                            .sendString(Mono.just("{\"id\":\"c1\",\"choices\":[]}")).then());
                })
                .post("/busy/v1/chat/completions", (request, response) -> request.receive().then(response.status(503)
                        .header("Content-Type", "application/json").sendString(Mono.just("{\"error\":{\"message\":\"busy\"}}")).then())))
                .bindNow();
    }

    @AfterAll
    static void stop() {
        server.disposeNow();
    }

    private static Deployment at(String url) {
        return new Deployment("d", DeploymentKind.SERVERLESS, URI.create(url), "secret", "m", DialectName.V1, null, "v",
                Duration.ofSeconds(2), Duration.ofSeconds(2), new Deployment.Capacity(400_000, 1_000));
    }

    @Test
    void eachCallIsTimedWithWebClientsTagsAndCarriesWhatATracerPropagates() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ObservationRegistry observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
        observations.observationConfig().observationHandler(new Propagating());
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        BackendRequest request = new BackendRequest("/v1/chat/completions", Map.of(), json.object());
        try (UpstreamClient client = new UpstreamClient(json, observations, 1 << 20, Duration.ofSeconds(10))) {
            client.call(at("http://127.0.0.1:" + server.port() + "/ok"), request, "r1").block(Duration.ofSeconds(10));
            client.call(at("http://127.0.0.1:" + server.port() + "/ok"), request, "r2").block(Duration.ofSeconds(10));
            GatewayError busy = catchThrowableOfType(GatewayError.class,
                    () -> client.call(at("http://127.0.0.1:" + server.port() + "/busy"), request, "r3").block(Duration.ofSeconds(10)));
            assertThat(busy.status().value()).isEqualTo(503);
            GatewayError unreachable = catchThrowableOfType(GatewayError.class,
                    () -> client.call(at("http://127.0.0.1:" + closedPort), request, "r4").block(Duration.ofSeconds(10)));
            assertThat(unreachable.status().value()).isEqualTo(502);
        }
        assertThat(lastHeaders).containsEntry("traceparent", "00-trace-span-01").containsEntry("x-request-id", "r2")
                .containsEntry("authorization", "Bearer secret").containsEntry("content-type", "application/json")
                .containsEntry("content-length", String.valueOf(json.writeBytes(json.object()).length)).doesNotContainKey("transfer-encoding");
        Map<Map<String, String>, Long> timers = new java.util.HashMap<>();
        for (Meter meter : meters.find("http.client.requests").meters()) {
            Map<String, String> tags = new TreeMap<>();
            for (Tag tag : meter.getId().getTags()) {
                tags.put(tag.getKey(), tag.getValue());
            }
            timers.put(tags, ((Timer) meter).count());
        }
        // "error" is the meter handler's own tag, on every observation's timer
        assertThat(timers).containsOnly(
                Map.entry(Map.of("client.name", "127.0.0.1", "error", "none", "exception", "none", "method", "POST", "outcome", "SUCCESS", "status", "200", "uri", "none"), 2L),
                Map.entry(Map.of("client.name", "127.0.0.1", "error", "none", "exception", "none", "method", "POST", "outcome", "SERVER_ERROR", "status", "503", "uri", "none"), 1L),
                Map.entry(Map.of("client.name", "127.0.0.1", "error", "AnnotatedConnectException", "exception", "AnnotatedConnectException", "method", "POST", "outcome", "UNKNOWN",
                        "status", "IO_ERROR", "uri", "none"), 1L));
    }

    /** A tracer's propagation, as Micrometer Tracing's sender handler does it: into the context's carrier at start. */
    private static final class Propagating implements ObservationHandler<SenderContext<Object>> {
        @Override
        public void onStart(SenderContext<Object> context) {
            context.getSetter().set(context.getCarrier(), "traceparent", "00-trace-span-01");
        }

        @Override
        public boolean supportsContext(Observation.Context context) {
            return context instanceof SenderContext<?>;
        }
    }
}
