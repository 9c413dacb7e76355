package com.llamagateway.gateway.e2e;

import com.llamagateway.gateway.support.Replicas;
import com.llamagateway.gateway.support.TestTeams;
import com.llamagateway.gateway.team.TeamService;
import com.llamagateway.simulator.LlamaSimulator;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tracing: off by default (no span, no {@code traceparent} to deployments); on with an OTLP endpoint, the client's
 * trace is continued to the deployment and the spans are exported there.
 */
class TracingTest {

    private static final String DEPLOYMENT = "llama31-70b-serverless";
    private static final String CHAT = "{\"model\":\"Meta-Llama-3.1-70B-Instruct\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":2}";

    private static ConfigurableApplicationContext gateway(Map<String, String> more) {
        String database = "tracing-" + UUID.randomUUID();
        Map<String, String> properties = new HashMap<>(Map.of("server.port", "0", "gateway.admin.token", "tracing-admin-token-0123456789",
                "gateway.data-dir", "target/test-data", "spring.r2dbc.url", "r2dbc:h2:mem:///" + database + "?options=DB_CLOSE_DELAY=-1",
                "spring.flyway.url", "jdbc:h2:mem:" + database + ";DB_CLOSE_DELAY=-1"));
        properties.putAll(more);
        return Replicas.start(properties);
    }

    private static WebTestClient client(ConfigurableApplicationContext gateway) {
        String key = TestTeams.newKey(gateway.getBean(TeamService.class));
        return WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port"))
                .defaultHeader("Authorization", "Bearer " + key).responseTimeout(Duration.ofSeconds(20)).build();
    }

    @Test
    void offByDefaultNoSpanAndNoTraceparentReachTheDeployment() {
        ConfigurableApplicationContext gateway = gateway(Map.of());
        try {
            client(gateway).post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                    .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").bodyValue(CHAT)
                    .exchange().expectStatus().isOk().expectBody().returnResult();

            Map<String, String> received = gateway.getBean(LlamaSimulator.class).deployment(DEPLOYMENT).stats().lastRequestHeaders();
            assertThat(received).containsKey("authorization").doesNotContainKey("traceparent");
            assertThat(gateway.getBeanProvider(Tracer.class).getIfAvailable(() -> Tracer.NOOP)).isSameAs(Tracer.NOOP);
        } finally {
            gateway.close();
        }
    }

    @Test
    void anOtlpEndpointTurnsItOnTheClientsTraceReachesTheDeploymentAndItsSpansAreExported() throws Exception {
        List<byte[]> exported = new CopyOnWriteArrayList<>();
        List<String> contentTypes = new CopyOnWriteArrayList<>();
        DisposableServer collector = HttpServer.create().host("127.0.0.1").port(0)
                .route(routes -> routes.post("/v1/traces", (request, response) -> request.receive().aggregate().asByteArray()
                        .doOnNext(body -> {
                            exported.add(body);
                            contentTypes.add(request.requestHeaders().get("content-type"));
                        })
                        .then(response.status(200).send())))
                .bindNow();
        ConfigurableApplicationContext gateway = gateway(Map.of(
                "management.opentelemetry.tracing.export.otlp.endpoint", "http://127.0.0.1:" + collector.port() + "/v1/traces",
                "management.opentelemetry.tracing.export.schedule-delay", "100ms",
                "management.tracing.sampling.probability", "1.0"));
        try {
            String traceId = "0af7651916cd43dd8448eb211c80319c";
            client(gateway).post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
                    .header("traceparent", "00-" + traceId + "-b7ad6b7169203331-01").bodyValue(CHAT)
                    .exchange().expectStatus().isOk().expectBody().returnResult();

            String propagated = gateway.getBean(LlamaSimulator.class).deployment(DEPLOYMENT).stats().lastRequestHeaders().get("traceparent");
            assertThat(propagated).matches("00-" + traceId + "-[0-9a-f]{16}-01").doesNotContain("b7ad6b7169203331");

            byte[] id = HexFormat.of().parseHex(traceId);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (exported.stream().noneMatch(body -> contains(body, id)) && System.nanoTime() < deadline) {
                Mono.delay(Duration.ofMillis(50)).block();
            }
            assertThat(exported).as("spans of the client's trace exported over OTLP").anyMatch(body -> contains(body, id));
            assertThat(contentTypes).allMatch(type -> type.startsWith("application/x-protobuf"));
            assertThat(exported).anyMatch(body -> contains(body, "llama-gateway".getBytes()));
        } finally {
            gateway.close();
            collector.disposeNow();
        }
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
