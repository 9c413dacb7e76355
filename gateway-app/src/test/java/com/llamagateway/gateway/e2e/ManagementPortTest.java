package com.llamagateway.gateway.e2e;

import com.llamagateway.gateway.support.Replicas;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.web.reactive.server.WebTestClient;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/**
 * With {@code management.server.port} set (the Helm chart and docker-compose.yml set it), the actuator — the probe
 * groups and {@code /actuator/prometheus} — answers there, without credentials, and no longer on the client port.
 */
class ManagementPortTest {

    @Test
    void probesAndMetricsAnswerOnTheManagementPortOnly() {
        String database = "management-" + UUID.randomUUID();
        ConfigurableApplicationContext gateway = Replicas.start(Map.of("server.port", "0", "management.server.port", "0",
                "management.endpoint.health.probes.enabled", "true", "gateway.admin.token", "management-admin-token-0123456789",
                "gateway.data-dir", "target/test-data", "spring.r2dbc.url", "r2dbc:h2:mem:///" + database + "?options=DB_CLOSE_DELAY=-1",
                "spring.flyway.url", "jdbc:h2:mem:" + database + ";DB_CLOSE_DELAY=-1"));
        try {
            String port = gateway.getEnvironment().getProperty("local.server.port");
            String managementPort = gateway.getEnvironment().getProperty("local.management.port");
            WebTestClient management = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + managementPort).responseTimeout(Duration.ofSeconds(20)).build();
            WebTestClient clients = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).responseTimeout(Duration.ofSeconds(20)).build();

            management.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("UP");
            management.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("UP");
            try {
                management.get().uri("/actuator/prometheus").exchange().expectStatus().isOk().expectBody(String.class)
                        .value(body -> org.assertj.core.api.Assertions.assertThat(body).contains("gateway_deployment_in_flight"));
            } catch (IllegalStateException noAnswer) {
                // a scrape once went unanswered for 20 s in a full test run (liveness and readiness had answered):
                // leave the threads' stacks for whoever meets it next
                Thread.getAllStackTraces().forEach((thread, stack) -> {
                    System.err.println("\"" + thread.getName() + "\" " + thread.getState());
                    for (StackTraceElement frame : stack) {
                        System.err.println("\tat " + frame);
                    }
                });
                throw noAnswer;
            }
            clients.get().uri("/actuator/prometheus").exchange().expectStatus().isNotFound();
        } finally {
            gateway.close();
        }
    }
}
