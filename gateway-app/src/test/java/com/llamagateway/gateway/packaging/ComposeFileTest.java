package com.llamagateway.gateway.packaging;

import com.llamagateway.gateway.config.GatewayProperties;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static com.llamagateway.gateway.packaging.HelmChartTest.at;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code docker-compose.yml} read as Compose reads it (anchors and merge keys, {@code ${VAR}} from {@code .env}),
 * then each gateway replica's environment and mounted catalog bound as the gateway binds them: every variable it is
 * given is one the gateway reads, and what it binds points at the services of the file.
 */
class ComposeFileTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z_][A-Z0-9_]*)(?::?[?-][^}]*)?}");

    private static Map<String, Object> compose() throws IOException {
        return new Yaml().load(Files.readString(ROOT.resolve("docker-compose.yml")));
    }

    private static Map<String, String> dotEnv() throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : Files.readAllLines(ROOT.resolve(".env.example"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                values.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
        }
        return values;
    }

    private static String substituted(String value, Map<String, String> dotEnv) {
        Matcher variable = VARIABLE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (variable.find()) {
            assertThat(dotEnv).as(".env.example gives " + variable.group(1)).containsKey(variable.group(1));
            variable.appendReplacement(out, Matcher.quoteReplacement(dotEnv.get(variable.group(1))));
        }
        return variable.appendTail(out).toString();
    }

    private static List<String> gateways(Map<String, Object> compose) {
        Map<String, Object> services = at(compose, "services");
        return services.keySet().stream().filter(name -> name.startsWith("gateway-")).sorted().toList();
    }

    /** The replica's environment as the container gets it. */
    private static Map<String, String> environment(Map<String, Object> compose, String gateway) throws IOException {
        Map<String, Object> raw = at(compose, "services", gateway, "environment");
        Map<String, String> dotEnv = dotEnv();
        Map<String, String> env = new LinkedHashMap<>();
        raw.forEach((name, value) -> env.put(name, substituted(String.valueOf(value), dotEnv)));
        return env;
    }

    /** What the gateway binds from that environment and the catalog it mounts (as file:/config/gateway.yaml). */
    private static GatewayProperties bind(Map<String, Object> compose, String gateway, Map<String, String> env) throws IOException {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().remove(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
        environment.getPropertySources().remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
        // named as the real one: only then does Boot map GATEWAY_QUOTA_STORE to gateway.quota.store
        environment.getPropertySources().addLast(new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, new HashMap<>(env)));
        String location = env.get("SPRING_CONFIG_ADDITIONAL_LOCATION");
        assertThat(location).startsWith("file:");
        Path catalog = mountedFile(compose, gateway, location.substring("file:".length()));
        new YamlPropertySourceLoader().load("catalog", new FileSystemResource(catalog)).forEach(environment.getPropertySources()::addLast);
        return Binder.get(environment).bind("gateway", GatewayProperties.class).get();
    }

    /** The host file a container path is mounted from. */
    private static Path mountedFile(Map<String, Object> compose, String gateway, String containerPath) {
        List<String> volumes = at(compose, "services", gateway, "volumes");
        for (String volume : volumes) {
            String[] parts = volume.split(":");
            if (parts[1].equals(containerPath)) {
                Path host = ROOT.resolve(parts[0]).normalize();
                assertThat(host).exists();
                return host;
            }
        }
        throw new AssertionError(containerPath + " is not mounted into " + gateway);
    }

    /** Every property name Spring Boot documents, in the environment-variable form. */
    private static Set<String> bootVariables() throws IOException {
        Set<String> names = new HashSet<>();
        JsonMapper json = JsonMapper.builder().build();
        for (var resource : new PathMatchingResourcePatternResolver().getResources("classpath*:META-INF/spring-configuration-metadata.json")) {
            JsonNode properties = json.readTree(resource.getContentAsString(StandardCharsets.UTF_8)).path("properties");
            properties.forEach(property -> {
                String name = property.get("name").asString().toUpperCase(java.util.Locale.ROOT).replace('.', '_');
                names.add(name.replace("-", ""));
                names.add(name.replace('-', '_'));
            });
        }
        return names;
    }

    @Test
    void twoReplicasShareRedisAndPostgresInFrontOfTheSimulatorEachOnItsOwnPortWithHealthChecks() throws IOException {
        Map<String, Object> compose = compose();
        List<String> gateways = gateways(compose);
        assertThat(gateways).containsExactly("gateway-1", "gateway-2");
        Set<String> hostPorts = new HashSet<>();
        for (String gateway : gateways) {
            List<String> ports = at(compose, "services", gateway, "ports");
            ports.forEach(port -> assertThat(hostPorts.add(port.split(":")[0])).as("host port " + port + " used once").isTrue());
            assertThat((Object) at(compose, "services", gateway, "healthcheck", "test")).asString().contains("/actuator/health/readiness");
            for (String dependency : List.of("redis", "postgres", "simulator")) {
                assertThat((Object) at(compose, "services", gateway, "depends_on", dependency, "condition")).isEqualTo("service_healthy");
                assertThat((Object) at(compose, "services", dependency, "healthcheck")).isNotNull();
            }
            // the image the Dockerfile builds
            assertThat((Object) at(compose, "services", gateway, "build", "target")).isEqualTo("gateway");
        }
        String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
        assertThat(dockerfile).contains(" AS gateway", " AS simulator", "USER 10001");
    }

    @Test
    void everyVariableAReplicaIsGivenIsReadByTheGatewayAndPointsAtTheServicesOfTheFile() throws IOException {
        Map<String, Object> compose = compose();
        Map<String, Object> services = at(compose, "services");
        Set<String> boot = bootVariables();
        Map<String, String> dotEnv = dotEnv();
        for (String gateway : gateways(compose)) {
            Map<String, String> env = environment(compose, gateway);
            GatewayProperties bound = bind(compose, gateway, env);

            for (String name : env.keySet()) {
                if (name.startsWith("GATEWAY_")) {
                    Map<String, String> without = new LinkedHashMap<>(env);
                    without.remove(name);
                    assertThat(bind(compose, gateway, without)).as(name + " changes what the gateway binds").isNotEqualTo(bound);
                } else if (name.startsWith("SPRING_") || name.startsWith("MANAGEMENT_") || name.startsWith("SERVER_")) {
                    assertThat(boot).as(name + " is a Spring Boot property").contains(name);
                } else {
                    assertThat(Files.readString(mountedFile(compose, gateway, "/config/gateway.yaml")))
                            .as(name + " is a placeholder of the catalog").contains("${" + name + "}");
                }
            }

            // the deployments are the simulator's, with the key it expects, on the port it listens on
            assertThat(bound.deployments()).hasSize(3);
            List<String> command = at(services, "simulator", "command");
            int simulatorPort = Integer.parseInt(command.stream().filter(a -> a.startsWith("--port=")).findFirst().orElseThrow().substring(7));
            bound.deployments().forEach((name, deployment) -> {
                assertThat(deployment.url().getHost()).as(name).isEqualTo("simulator");
                assertThat(deployment.url().getPort()).as(name).isEqualTo(simulatorPort);
                assertThat(deployment.apiKey()).as(name).isEqualTo(dotEnv.get("SIMULATOR_API_KEY"));
            });
            Map<String, String> simulatorEnv = at(services, "simulator", "environment");
            assertThat(substituted(simulatorEnv.get("SIMULATOR_API_KEY"), dotEnv)).isEqualTo(dotEnv.get("SIMULATOR_API_KEY"));

            // quotas in the compose file's Redis, sized for its replicas
            assertThat(bound.quota().store()).asString().isEqualToIgnoringCase("redis");
            URI redis = URI.create(bound.quota().redis().url());
            assertThat(services).containsKey(redis.getHost());
            assertThat(redis.getPort()).isEqualTo(6379);
            assertThat(bound.quota().redis().replicas()).isEqualTo(gateways(compose).size());

            // teams, keys and usage in its PostgreSQL, with the credentials the server was made with
            Map<String, String> postgres = at(services, "postgres", "environment");
            URI r2dbc = URI.create(env.get("SPRING_R2DBC_URL").substring("r2dbc:".length()));
            assertThat(r2dbc.getHost()).isEqualTo("postgres");
            assertThat(r2dbc.getPath()).isEqualTo("/" + postgres.get("POSTGRES_DB"));
            assertThat(URI.create(env.get("SPRING_FLYWAY_URL").substring("jdbc:".length())).getPath()).isEqualTo(r2dbc.getPath());
            assertThat(env.get("SPRING_R2DBC_USERNAME")).isEqualTo(postgres.get("POSTGRES_USER"));
            assertThat(env.get("SPRING_R2DBC_PASSWORD")).isEqualTo(substituted(postgres.get("POSTGRES_PASSWORD"), dotEnv));
            assertThat(bound.admin().token()).hasSizeGreaterThanOrEqualTo(24);
        }
    }
}
