package com.llamagateway.gateway.e2e;

import com.llamagateway.gateway.support.PostgresSchema;
import com.llamagateway.gateway.support.Replicas;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two gateway replicas (two application contexts) sharing one PostgreSQL: a key revoked through one replica is
 * refused by the other within a second, without a restart or a shared cache.
 */
@org.junit.jupiter.api.extension.ExtendWith(PostgresSchema.Required.class)
class TwoReplicaRevocationTest {

    private static final String ADMIN_TOKEN = "two-replica-admin-token-0123456789";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static PostgresSchema schema;
    private static ConfigurableApplicationContext replicaA;
    private static ConfigurableApplicationContext replicaB;

    @BeforeAll
    static void startTwoReplicas() {
        schema = PostgresSchema.create();
        replicaA = start();
        replicaB = start();
    }

    private static ConfigurableApplicationContext start() {
        Map<String, String> properties = new HashMap<>(schema.properties());
        properties.put("server.port", "0");
        properties.put("gateway.admin.token", ADMIN_TOKEN);
        properties.put("gateway.data-dir", "target/test-data");
        return Replicas.start(properties);
    }

    @AfterAll
    static void stop() {
        if (replicaA != null) {
            replicaA.close();
        }
        if (replicaB != null) {
            replicaB.close();
        }
        if (schema != null) {
            schema.close();
        }
    }

    private static WebTestClient client(ConfigurableApplicationContext replica) {
        return WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + replica.getEnvironment().getProperty("local.server.port"))
                .responseTimeout(Duration.ofSeconds(20)).build();
    }

    private static JsonNode created(WebTestClient.ResponseSpec response) {
        return JSON.readTree(new String(response.expectStatus().isCreated().expectBody().returnResult().getResponseBodyContent(), StandardCharsets.UTF_8));
    }

    private static int models(ConfigurableApplicationContext replica, String key) {
        return client(replica).get().uri("/v1/models").header("Authorization", "Bearer " + key).exchange()
                .expectBody().returnResult().getStatus().value();
    }

    @Test
    void aKeyRevokedOnOneReplicaIsRefusedByTheOtherWithinASecond() throws InterruptedException {
        JsonNode team = created(client(replicaA).post().uri("/admin/v1/teams").header("Authorization", "Bearer " + ADMIN_TOKEN)
                .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"name\":\"replicated\"}").exchange());
        JsonNode key = created(client(replicaA).post().uri("/admin/v1/teams/" + team.get("id").asString() + "/keys")
                .header("Authorization", "Bearer " + ADMIN_TOKEN).exchange());
        String secret = key.get("key").asString();

        assertThat(models(replicaB, secret)).isEqualTo(200); // replica B has looked the key up (and cached it)
        assertThat(models(replicaA, secret)).isEqualTo(200);

        client(replicaA).delete().uri("/admin/v1/teams/" + team.get("id").asString() + "/keys/" + key.get("id").asString())
                .header("Authorization", "Bearer " + ADMIN_TOKEN).exchange().expectStatus().isOk().expectBody().returnResult();
        long revokedAt = System.nanoTime();
        assertThat(models(replicaA, secret)).as("the replica that revoked").isEqualTo(401);

        long refusedAfterMillis = -1;
        while (System.nanoTime() - revokedAt < Duration.ofSeconds(3).toNanos()) {
            if (models(replicaB, secret) == 401) {
                refusedAfterMillis = (System.nanoTime() - revokedAt) / 1_000_000;
                break;
            }
            Thread.sleep(10);
        }
        System.out.println("Replica B refused the revoked key " + refusedAfterMillis + " ms after the revocation on replica A");
        assertThat(refusedAfterMillis).as("replica B refused the key after %s ms", refusedAfterMillis).isBetween(0L, 999L);
        assertThat(models(replicaB, secret)).isEqualTo(401);
    }
}
