package com.llamagateway.gateway.support;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A throwaway schema on a real PostgreSQL. The server is the local one of CI and of developers' machines
 * ({@code 127.0.0.1:5432}, database {@code test}, user {@code postgres}; {@code GATEWAY_TEST_POSTGRES_HOST} and
 * {@code _PORT} override), else a Testcontainers container where Docker is available. Without either the test is
 * skipped — except on CI ({@code CI} set), where a test that needs PostgreSQL fails rather than pass without it.
 */
public final class PostgresSchema implements AutoCloseable {

    private record Server(String host, int port, String database, String user, String password) {

        String jdbcUrl() {
            return "jdbc:postgresql://" + host + ":" + port + "/" + database;
        }
    }

    private static Server server;

    private final Server on;
    private final String name = "gw_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);

    private PostgresSchema(Server on) {
        this.on = on;
    }

    private static final String MISSING = "No PostgreSQL: nothing answers at the local address and Docker is not available";

    /**
     * Put on a test class that needs PostgreSQL ({@code @ExtendWith(PostgresSchema.Required.class)}): skips it where
     * there is none, before any application context starts; on CI it always runs (and fails without a server).
     */
    public static final class Required implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if (System.getenv("CI") != null || server() != null) {
                return ConditionEvaluationResult.enabled("PostgreSQL required");
            }
            return ConditionEvaluationResult.disabled(MISSING);
        }
    }

    public static PostgresSchema create() {
        Server found = server();
        if (found == null) {
            throw new IllegalStateException(MISSING + " — PostgreSQL is required " + (System.getenv("CI") != null ? "on CI" : "by this test"));
        }
        PostgresSchema schema = new PostgresSchema(found);
        try (Connection connection = schema.connect(); Statement statement = connection.createStatement()) {
            statement.execute("create schema " + schema.name);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create test schema " + schema.name, e);
        }
        return schema;
    }

    /** The local server if it answers, else a container (started once per test JVM), else null. */
    private static synchronized Server server() {
        if (server != null) {
            return server;
        }
        Server local = new Server(System.getenv().getOrDefault("GATEWAY_TEST_POSTGRES_HOST", "127.0.0.1"),
                Integer.parseInt(System.getenv().getOrDefault("GATEWAY_TEST_POSTGRES_PORT", "5432")), "test", "postgres", "");
        DriverManager.setLoginTimeout(3);
        try (Connection ignored = DriverManager.getConnection(local.jdbcUrl(), local.user(), local.password())) {
            return server = local;
        } catch (SQLException e) {
            if (!DockerClientFactory.instance().isDockerAvailable()) {
                return null;
            }
        }
        PostgreSQLContainer container = new PostgreSQLContainer("postgres:15-alpine");
        container.start(); // removed with the JVM by Testcontainers
        return server = new Server(container.getHost(), container.getMappedPort(5432), container.getDatabaseName(),
                container.getUsername(), container.getPassword());
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(on.jdbcUrl() + "?currentSchema=" + name, on.user(), on.password());
    }

    /** What points the gateway at this schema. */
    public Map<String, String> properties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("spring.r2dbc.url", "r2dbc:postgresql://" + on.host() + ":" + on.port() + "/" + on.database() + "?schema=" + name);
        properties.put("spring.r2dbc.username", on.user());
        properties.put("spring.r2dbc.password", on.password());
        properties.put("spring.flyway.url", on.jdbcUrl());
        properties.put("spring.flyway.schemas", name);
        return properties;
    }

    @Override
    public void close() {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("drop schema if exists " + name + " cascade");
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop test schema " + name, e);
        }
    }
}
