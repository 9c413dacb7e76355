package com.llamagateway.gateway.packaging;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The chart in {@code helm/llama-gateway}, linted (strict) and rendered by Helm's own code (helm-java), and the
 * rendered manifests read back: what a cluster would get.
 */
class HelmChartTest {

    static final Path CHART = Path.of("..", "helm", "llama-gateway").toAbsolutePath().normalize();

    /** The rendered manifests, by kind and name. */
    record Manifests(List<Map<String, Object>> all) {

        Map<String, Object> get(String kind, String name) {
            return all.stream().filter(m -> kind.equals(m.get("kind")) && name.equals(at(m, "metadata", "name"))).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + kinds()));
        }

        List<String> kinds() {
            return all.stream().map(m -> m.get("kind") + "/" + at(m, "metadata", "name")).toList();
        }
    }

    @SuppressWarnings("unchecked")
    static <T> T at(Object node, Object... path) {
        Object current = node;
        for (Object step : path) {
            current = step instanceof Integer i ? ((List<Object>) current).get(i) : ((Map<String, Object>) current).get(step);
        }
        return (T) current;
    }

    @SuppressWarnings("unchecked")
    static Manifests render(Map<String, Object> values, Path... valueFiles) {
        var template = new Helm(CHART).template().withName("gw").withNamespace("llm");
        for (Path file : valueFiles) {
            template = template.withValuesFile(file);
        }
        for (Map.Entry<String, Object> value : values.entrySet()) {
            template = template.set(value.getKey(), value.getValue());
        }
        List<Map<String, Object>> manifests = new ArrayList<>();
        for (Object document : new Yaml().loadAll(template.call())) {
            if (document != null) {
                manifests.add((Map<String, Object>) document);
            }
        }
        return new Manifests(manifests);
    }

    private static Map<String, Object> env(Map<String, Object> container) {
        Map<String, Object> byName = new java.util.LinkedHashMap<>();
        List<Map<String, Object>> env = at(container, "env");
        env.forEach(e -> byName.put((String) e.get("name"), e.containsKey("value") ? e.get("value") : e.get("valueFrom")));
        return byName;
    }

    @Test
    void theChartLintsCleanInStrictMode() {
        LintResult lint = new Helm(CHART).lint().strict().call();

        assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
    }

    @Test
    void theDefaultsRenderATrialWithBundledRedisAndPostgresAndTheSecretsTheOperatorMade() {
        Manifests manifests = render(Map.of());

        assertThat(manifests.kinds()).contains("Deployment/gw-llama-gateway", "Service/gw-llama-gateway", "ConfigMap/gw-llama-gateway",
                "HorizontalPodAutoscaler/gw-llama-gateway", "PodDisruptionBudget/gw-llama-gateway", "StatefulSet/gw-llama-gateway-redis",
                "StatefulSet/gw-llama-gateway-postgresql");
        assertThat(manifests.kinds()).as("secrets are the operator's, never in the chart").noneMatch(kind -> kind.startsWith("Secret/"));
        assertThat(manifests.kinds()).noneMatch(kind -> kind.startsWith("ServiceMonitor/"));
        Map<String, Object> deployment = manifests.get("Deployment", "gw-llama-gateway");
        assertThat((Object) at(deployment, "spec", "replicas")).as("the HPA owns the replica count").isNull();
        assertThat((Object) at(manifests.get("HorizontalPodAutoscaler", "gw-llama-gateway"), "spec", "minReplicas")).isEqualTo(2);
        Map<String, Object> container = at(deployment, "spec", "template", "spec", "containers", 0);
        Map<String, Object> env = env(container);
        assertThat(env).containsEntry("GATEWAY_QUOTA_STORE", "redis")
                .containsEntry("GATEWAY_QUOTA_REDIS_URL", "redis://gw-llama-gateway-redis:6379")
                .containsEntry("GATEWAY_QUOTA_REDIS_REPLICAS", "2")
                .containsEntry("SPRING_R2DBC_URL", "r2dbc:postgresql://gw-llama-gateway-postgresql:5432/gateway")
                .containsEntry("SPRING_FLYWAY_URL", "jdbc:postgresql://gw-llama-gateway-postgresql:5432/gateway")
                .containsEntry("MANAGEMENT_SERVER_PORT", "8081")
                .containsEntry("SPRING_CONFIG_ADDITIONAL_LOCATION", "file:/config/gateway.yaml");
        assertThat((Object) at(env.get("GATEWAY_ADMIN_TOKEN"), "secretKeyRef")).isEqualTo(Map.of("name", "llama-gateway-admin", "key", "token"));
        assertThat((Object) at(env.get("SPRING_R2DBC_PASSWORD"), "secretKeyRef")).isEqualTo(Map.of("name", "llama-gateway-postgres", "key", "password"));
        Map<String, Object> postgres = at(manifests.get("StatefulSet", "gw-llama-gateway-postgresql"), "spec", "template", "spec", "containers", 0);
        assertThat((Object) at(env(postgres).get("POSTGRES_PASSWORD"), "secretKeyRef")).isEqualTo(Map.of("name", "llama-gateway-postgres", "key", "password"));
        assertThat(env).doesNotContainKeys("SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_ISSUER_URI", "MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_OTLP_ENDPOINT");
    }

    @Test
    void theGatewayPodIsProbedOnTheManagementPortAndRunsNonRootOnAReadOnlyRootFilesystem() {
        Map<String, Object> deployment = render(Map.of("autoscaling.enabled", "false", "replicaCount", "4")).get("Deployment", "gw-llama-gateway");
        Map<String, Object> pod = at(deployment, "spec", "template", "spec");
        Map<String, Object> container = at(pod, "containers", 0);

        assertThat((Object) at(deployment, "spec", "replicas")).isEqualTo(4);
        assertThat((Object) at(container, "livenessProbe", "httpGet", "path")).isEqualTo("/actuator/health/liveness");
        assertThat((Object) at(container, "readinessProbe", "httpGet", "path")).isEqualTo("/actuator/health/readiness");
        assertThat((Object) at(container, "readinessProbe", "httpGet", "port")).isEqualTo("management");
        assertThat((Object) at(container, "ports", 1, "containerPort")).isEqualTo(8081);
        assertThat((Object) at(pod, "securityContext", "runAsNonRoot")).isEqualTo(true);
        assertThat((Object) at(container, "securityContext", "readOnlyRootFilesystem")).isEqualTo(true);
        assertThat((Object) at(container, "securityContext", "allowPrivilegeEscalation")).isEqualTo(false);
        assertThat((Object) at(container, "resources", "limits", "memory")).isEqualTo("1Gi");
        assertThat((Object) at(pod, "terminationGracePeriodSeconds")).isEqualTo(75);
        List<Map<String, Object>> mounts = at(container, "volumeMounts");
        assertThat(mounts).extracting(m -> m.get("mountPath")).containsExactlyInAnyOrder("/config", "/data", "/tmp");
    }

    @Test
    void productionValuesUseExternalStoresJwtAdminsTheCatalogAndSecretReferencesForDeploymentKeys() throws Exception {
        Path values = Files.createTempFile("gateway-values", ".yaml");
        Files.writeString(values, """
                catalog:
                  deployments:
                    llama31-70b-eastus2:
                      kind: serverless
                      url: https://llama31-70b-eastus2.eastus2.models.ai.azure.com
                      api-key: ${LLAMA31_70B_EASTUS2_KEY}
                      model: Meta-Llama-3.1-70B-Instruct
                      dialect: v1
                  resilience:
                    max-attempts: 2
                deploymentKeys:
                  - env: LLAMA31_70B_EASTUS2_KEY
                    secretName: llama-deployment-keys
                    secretKey: eastus2
                """);
        try {
            Manifests manifests = render(Map.of(), CHART.resolve("values-production.yaml"), values);

            assertThat(manifests.kinds()).noneMatch(kind -> kind.contains("-redis") || kind.contains("-postgresql"));
            assertThat(manifests.kinds()).contains("ServiceMonitor/gw-llama-gateway");
            Map<String, Object> env = env(at(manifests.get("Deployment", "gw-llama-gateway"), "spec", "template", "spec", "containers", 0));
            assertThat(env).containsEntry("GATEWAY_QUOTA_REDIS_URL", "rediss://my-redis.redis.cache.windows.net:6380")
                    .containsEntry("GATEWAY_QUOTA_REDIS_REPLICAS", "3")
                    .containsEntry("SPRING_R2DBC_URL", "r2dbc:postgresql://my-postgres.postgres.database.azure.com:5432/gateway")
                    .containsEntry("SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_ISSUER_URI",
                            "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0")
                    .doesNotContainKey("GATEWAY_ADMIN_TOKEN");
            assertThat((Object) at(env.get("LLAMA31_70B_EASTUS2_KEY"), "secretKeyRef")).isEqualTo(Map.of("name", "llama-deployment-keys", "key", "eastus2"));
            assertThat((Object) at(env.get("SPRING_R2DBC_PASSWORD"), "secretKeyRef")).isEqualTo(Map.of("name", "llama-gateway-postgres-prod", "key", "password"));

            String catalog = at(manifests.get("ConfigMap", "gw-llama-gateway"), "data", "gateway.yaml");
            Map<String, Object> gateway = at(new Yaml().load(catalog), "gateway");
            assertThat((Object) at(gateway, "deployments", "llama31-70b-eastus2", "api-key")).isEqualTo("${LLAMA31_70B_EASTUS2_KEY}");
            assertThat((Object) at(gateway, "deployments", "llama31-70b-eastus2", "url")).isEqualTo("https://llama31-70b-eastus2.eastus2.models.ai.azure.com");
            assertThat((Object) at(gateway, "resilience", "max-attempts")).isEqualTo(2);
            // a changed catalog rolls the pods
            String checksum = at(manifests.get("Deployment", "gw-llama-gateway"), "spec", "template", "metadata", "annotations", "checksum/catalog");
            assertThat(checksum).isNotEqualTo(at(render(Map.of()).get("Deployment", "gw-llama-gateway"), "spec", "template", "metadata",
                    "annotations", "checksum/catalog"));
        } finally {
            Files.delete(values);
        }
    }

    @Test
    void tracingIsOneValueAway() {
        Map<String, Object> env = env(at(render(Map.of("tracing.enabled", "true", "tracing.otlpEndpoint", "http://otel:4318/v1/traces"))
                .get("Deployment", "gw-llama-gateway"), "spec", "template", "spec", "containers", 0));

        assertThat(env).containsEntry("MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_OTLP_ENDPOINT", "http://otel:4318/v1/traces")
                .containsEntry("MANAGEMENT_TRACING_SAMPLING_PROBABILITY", "0.1");
    }

    @Test
    void badValuesAreRejectedByTheSchemaBeforeAnythingRenders() {
        for (Map<String, Object> bad : List.of(
                Map.<String, Object>of("replicaCount", "0"),
                Map.<String, Object>of("ports.management", "70000"),
                Map.<String, Object>of("redis.bundled", "false"),                                   // and no url
                Map.<String, Object>of("redis.url", "http://redis:6379"),
                Map.<String, Object>of("postgresql.bundled", "false"),                              // and no host
                Map.<String, Object>of("catalog.deployments.d1.url", "https://x.example", "catalog.deployments.d1.model", "M",
                        "catalog.deployments.d1.api-key", "sk-a-real-key-written-in-values"),        // a secret in values
                Map.<String, Object>of("catalog.deployments.d1.url", "https://x.example", "catalog.deployments.d1.model", "M",
                        "catalog.deployments.d1.api-key", "${K}", "catalog.deployments.d1.dialect", "openai"),
                Map.<String, Object>of("admin.jwtIssuerUri", "http://insecure.example"),
                Map.<String, Object>of("admin.tokenSecret.name", ""))) {
            assertThatThrownBy(() -> render(bad)).as(bad.toString()).hasMessageContaining("values don't meet the specifications of the schema");
        }
    }
}
