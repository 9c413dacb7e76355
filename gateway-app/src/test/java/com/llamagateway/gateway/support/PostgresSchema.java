package com.llamagateway.gateway.support;

import org.junit.jupiter.api.Assumptions;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A throwaway schema on a real PostgreSQL: the local server of CI and of developers' machines
 * ({@code 127.0.0.1:5432}, database {@code test}, user {@code postgres}; {@code GATEWAY_TEST_POSTGRES_HOST} and
 * {@code _PORT} override). Where no server answers, the test is skipped — except on CI ({@code CI} set), where a
 * test that needs PostgreSQL fails rather than pass without it.
 */
public final class PostgresSchema implements AutoCloseable {

    private static final String HOST = System.getenv().getOrDefault("GATEWAY_TEST_POSTGRES_HOST", "127.0.0.1");
    private static final String PORT = System.getenv().getOrDefault("GATEWAY_TEST_POSTGRES_PORT", "5432");
    private static final String DATABASE = "test";
    private static final String USER = "postgres";

    private final String name = "gw_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);

    private PostgresSchema() {
    }

    public static PostgresSchema create() {
        PostgresSchema schema = new PostgresSchema();
        try (Connection connection = schema.connect(); Statement statement = connection.createStatement()) {
            statement.execute("create schema " + schema.name);
        } catch (SQLException e) {
            if (System.getenv("CI") != null) {
                throw new IllegalStateException("PostgreSQL is required on CI and did not answer at " + HOST + ":" + PORT, e);
            }
            Assumptions.abort("No PostgreSQL at " + HOST + ":" + PORT + " (" + e.getMessage() + ")");
        }
        return schema;
    }

    public Connection connect() throws SQLException {
        DriverManager.setLoginTimeout(3);
        return DriverManager.getConnection("jdbc:postgresql://" + HOST + ":" + PORT + "/" + DATABASE + "?currentSchema=" + name, USER, "");
    }

    /** What points the gateway at this schema. */
    public Map<String, String> properties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("spring.r2dbc.url", "r2dbc:postgresql://" + HOST + ":" + PORT + "/" + DATABASE + "?schema=" + name);
        properties.put("spring.r2dbc.username", USER);
        properties.put("spring.r2dbc.password", "");
        properties.put("spring.flyway.url", "jdbc:postgresql://" + HOST + ":" + PORT + "/" + DATABASE);
        properties.put("spring.flyway.schemas", name);
        return properties;
    }

    public String name() {
        return name;
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
