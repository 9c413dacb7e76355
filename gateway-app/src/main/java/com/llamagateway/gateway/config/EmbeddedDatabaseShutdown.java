package com.llamagateway.gateway.config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.r2dbc.core.DatabaseClient;

import java.time.Duration;
import java.util.Locale;

/**
 * Closes the embedded default's H2 database when the gateway stops, after everything that writes to it: the usage
 * ledger's last rows (written when it stops, before any bean is destroyed) and the keys' last use (written when the
 * key authenticator is destroyed, which is made to depend on this bean so that it goes first). H2 would otherwise
 * close the database in a JVM shutdown hook of its own, beside Spring's graceful shutdown and before those writes;
 * the default URLs say {@code DB_CLOSE_ON_EXIT=FALSE} so that it does not, and only an H2 URL that says so is closed
 * here (one without it keeps H2's own hook, and an in-memory database its contents until the JVM ends). Nothing to do
 * on PostgreSQL.
 */
final class EmbeddedDatabaseShutdown implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabaseShutdown.class);

    private final DatabaseClient db;
    private final boolean closedHere;

    EmbeddedDatabaseShutdown(DatabaseClient db, String r2dbcUrl) {
        this.db = db;
        this.closedHere = r2dbcUrl.startsWith("r2dbc:h2:") && r2dbcUrl.toUpperCase(Locale.ROOT).contains("DB_CLOSE_ON_EXIT=FALSE");
    }

    @Override
    public void destroy() {
        if (!closedHere) {
            return;
        }
        try {
            db.sql("SHUTDOWN").then().block(Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            log.warn("Could not close the embedded database cleanly ({}); H2 recovers it when it next opens", e.toString());
        }
    }
}
