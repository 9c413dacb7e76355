package com.llamagateway.gateway.config;

import com.llamagateway.gateway.GatewayApplication;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every configuration mistake named at once, before anything is built, as one block without a stack trace. */
class StartupCheckTest {

    private static List<StartupProblems.Problem> problems(Map<String, Object> properties) {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("test", properties));
        return StartupCheck.problems(environment);
    }

    private static int closedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void everyUnsetVariableEveryIncompleteDeploymentAShortTokenAndUnreachableStoresAreNamedTogether() throws Exception {
        int redisPort = closedPort();
        int postgresPort = closedPort();
        Map<String, Object> p = new HashMap<>();
        p.put("gateway.deployments.east.url", "https://east.example");
        p.put("gateway.deployments.east.api-key", "${LLGW_TEST_UNSET_EAST_KEY}");
        p.put("gateway.deployments.east.model", "m");
        p.put("gateway.deployments.west.url", "https://west.example");
        p.put("gateway.deployments.west.api-key", "${LLGW_TEST_UNSET_WEST_KEY}");
        p.put("gateway.deployments.west.model", "m");
        p.put("gateway.deployments.west.dialect", "openai");
        p.put("gateway.deployments.north.apiKey", "k");          // relaxed spelling counts; no url, no model
        p.put("gateway.deployments.south.url", "https://south.example");
        p.put("gateway.deployments.south.api-key", "${LLGW_TEST_SET_KEY}");
        p.put("gateway.deployments.south.model", "m");
        p.put("LLGW_TEST_SET_KEY", "set");
        p.put("gateway.safety.filters.cs.api-key", "${LLGW_TEST_UNSET_CS_KEY}");
        p.put("gateway.admin.token", "too-short");
        p.put("gateway.quota.store", "redis");
        p.put("gateway.quota.redis.url", "redis://:secret@127.0.0.1:" + redisPort);
        p.put("spring.r2dbc.url", "r2dbc:postgresql://127.0.0.1:" + postgresPort + "/gateway");

        List<String> found = problems(p).stream().map(StartupProblems.Problem::what).toList();
        assertThat(found).containsExactlyInAnyOrder(
                "LLGW_TEST_UNSET_EAST_KEY is not set (gateway.deployments.east.api-key)",
                "LLGW_TEST_UNSET_WEST_KEY is not set (gateway.deployments.west.api-key)",
                "LLGW_TEST_UNSET_CS_KEY is not set (gateway.safety.filters.cs.api-key)",
                "gateway.deployments.north has no url, no model",
                "gateway.deployments.west.dialect is 'openai'",
                "gateway.admin.token (GATEWAY_ADMIN_TOKEN) has 9 characters; it must have at least 24",
                "Redis at 127.0.0.1:" + redisPort + " does not accept connections (Connection refused)",
                "PostgreSQL at 127.0.0.1:" + postgresPort + " does not accept connections (Connection refused)");
        assertThat(String.join(" ", found)).as("never a password").doesNotContain("secret");
    }

    @Test
    void aCorrectConfigurationHasNoProblem() {
        assertThat(problems(Map.of("gateway.deployments.east.url", "https://east.example", "gateway.deployments.east.api-key", "k",
                "gateway.deployments.east.model", "m", "gateway.deployments.east.dialect", "azure-inference",
                "gateway.admin.token", "a-bootstrap-token-of-24-chars"))).isEmpty();
        assertThat(problems(Map.of())).as("the embedded default").isEmpty();
    }

    @Test
    void aKeyGivenThroughTheEnvironmentCounts() {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("file", Map.of("gateway.deployments.east.url", "https://east.example",
                "gateway.deployments.east.model", "m")));
        environment.getPropertySources().replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                new org.springframework.core.env.SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                        Map.of("GATEWAY_DEPLOYMENTS_EAST_APIKEY", "k")));
        org.springframework.boot.context.properties.source.ConfigurationPropertySources.attach(environment);
        assertThat(StartupCheck.problems(environment)).isEmpty();
    }

    @Test
    void theAnalysisListsEveryProblemThenEachActionOnce() {
        FailureAnalysis analysis = new StartupProblemsAnalyzer().analyze(new StartupProblems(List.of(
                new StartupProblems.Problem("A is not set (x)", "Set the environment variables the configuration refers to: A, B"),
                new StartupProblems.Problem("B is not set (y)", "Set the environment variables the configuration refers to: A, B"))));
        assertThat(analysis.getDescription()).isEqualTo("The gateway's configuration has 2 problems:\n  - A is not set (x)\n  - B is not set (y)");
        assertThat(analysis.getAction()).startsWith("- Set the environment variables the configuration refers to: A, B\n(docs/");
        assertThat(analysis.getCause()).isNull();
    }

    @Test
    void theGatewayStopsBeforeBuildingAnythingWithAllItsProblems() {
        SpringApplication application = new SpringApplication(GatewayApplication.class);
        assertThatThrownBy(() -> application.run("--server.port=0", "--gateway.data-dir=target/test-data/startup-check",
                "--gateway.deployments.east.url=https://east.example", "--gateway.deployments.east.api-key=${LLGW_TEST_UNSET_A}",
                "--gateway.deployments.east.model=m", "--gateway.deployments.west.api-key=${LLGW_TEST_UNSET_B}"))
                .isInstanceOfSatisfying(StartupProblems.class, e -> assertThat(e.problems()).extracting(StartupProblems.Problem::what)
                        .contains("LLGW_TEST_UNSET_A is not set (gateway.deployments.east.api-key)",
                                "LLGW_TEST_UNSET_B is not set (gateway.deployments.west.api-key)", "gateway.deployments.west has no url, no model"));
    }
}
