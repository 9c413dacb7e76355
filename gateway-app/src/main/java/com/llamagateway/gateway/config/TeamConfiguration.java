package com.llamagateway.gateway.config;

import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.routing.DeploymentCatalog;
import com.llamagateway.gateway.team.KeyAuthenticator;
import com.llamagateway.gateway.team.TeamService;
import com.llamagateway.gateway.team.TeamStore;
import com.llamagateway.gateway.team.TeamViews;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;

import java.time.Clock;

/** Wires teams, keys and their persistence. */
@Configuration(proxyBeanMethods = false)
public class TeamConfiguration {

    @Bean
    TeamStore teamStore(DatabaseClient db) {
        return new TeamStore(db);
    }

    /** Closes the embedded H2 database after every write at shutdown (below: the keys' last use goes first). */
    @Bean
    EmbeddedDatabaseShutdown embeddedDatabaseShutdown(DatabaseClient db, @Value("${spring.r2dbc.url:}") String r2dbcUrl) {
        return new EmbeddedDatabaseShutdown(db, r2dbcUrl);
    }

    @Bean(destroyMethod = "close")
    @DependsOn("embeddedDatabaseShutdown")
    KeyAuthenticator keyAuthenticator(TeamStore store, GatewayProperties properties) {
        return new KeyAuthenticator(store, Clock.systemUTC(), properties.keys().cacheTime(), properties.keys().lastUsedFlushInterval());
    }

    @Bean
    TeamViews teamViews(Json json) {
        return new TeamViews(json);
    }

    @Bean
    TeamService teamService(TeamStore store, ReactiveTransactionManager transactions, TeamViews views, KeyAuthenticator authenticator,
                            DeploymentCatalog catalog) {
        return new TeamService(store, TransactionalOperator.create(transactions), views, authenticator,
                model -> !catalog.pool(model).isEmpty(), Clock.systemUTC());
    }
}
