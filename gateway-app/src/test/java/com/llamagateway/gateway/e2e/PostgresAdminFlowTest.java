package com.llamagateway.gateway.e2e;

import com.llamagateway.gateway.support.PostgresSchema;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The full admin flow on a real PostgreSQL: create team → create key → call → revoke → 401, and what is stored. */
@org.junit.jupiter.api.extension.ExtendWith(PostgresSchema.Required.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "gateway.admin.token=" + PostgresAdminFlowTest.ADMIN_TOKEN, "gateway.data-dir=target/test-data"})
class PostgresAdminFlowTest {

    static final String ADMIN_TOKEN = "postgres-admin-token-0123456789";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static PostgresSchema schema;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        schema = PostgresSchema.create();
        schema.properties().forEach((name, value) -> registry.add(name, () -> value));
    }

    @AfterAll
    static void dropSchema() {
        if (schema != null) {
            schema.close();
        }
    }

    private JsonNode post(String path, String body) {
        WebTestClient admin = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).responseTimeout(Duration.ofSeconds(20))
                .defaultHeader("Authorization", "Bearer " + ADMIN_TOKEN).build();
        byte[] answer = admin.post().uri(path).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
                .expectStatus().isCreated().expectBody().returnResult().getResponseBodyContent();
        return JSON.readTree(new String(answer, StandardCharsets.UTF_8));
    }

    @Test
    void createTeamCreateKeyCallRevokeRefused() throws Exception {
        JsonNode team = post("/admin/v1/teams", "{\"name\":\"pg-team\",\"models\":[\"Meta-Llama-3.1-70B-Instruct\"]}");
        JsonNode key = post("/admin/v1/teams/" + team.get("id").asString() + "/keys", "{\"name\":\"pg-key\"}");
        String secret = key.get("key").asString();
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + port + "/v1").apiKey(secret).maxRetries(0).build();
        ChatCompletionCreateParams chat = ChatCompletionCreateParams.builder().model("Meta-Llama-3.1-70B-Instruct").addUserMessage("Hi").maxTokens(2).build();

        assertThat(client.chat().completions().create(chat).usage().orElseThrow().completionTokens()).isEqualTo(2);

        WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).responseTimeout(Duration.ofSeconds(20)).build().delete()
                .uri("/admin/v1/teams/" + team.get("id").asString() + "/keys/" + key.get("id").asString())
                .header("Authorization", "Bearer " + ADMIN_TOKEN).exchange().expectStatus().isOk().expectBody().returnResult();
        assertThatThrownBy(() -> client.chat().completions().create(chat)).isInstanceOf(UnauthorizedException.class);

        try (Connection connection = schema.connect(); Statement statement = connection.createStatement()) {
            ResultSet keys = statement.executeQuery("select prefix, secret_hash, revoked_at from api_keys");
            assertThat(keys.next()).isTrue();
            assertThat(secret).startsWith(keys.getString("prefix"));
            assertThat(keys.getString("secret_hash")).hasSize(64).doesNotContain(secret.substring(11, 30));
            assertThat(keys.getTimestamp("revoked_at")).isNotNull();
            ResultSet models = statement.executeQuery("select model from team_models");
            assertThat(models.next()).isTrue();
            assertThat(models.getString("model")).isEqualTo("Meta-Llama-3.1-70B-Instruct");
            ResultSet audit = statement.executeQuery("select action from audit_log order by id");
            StringBuilder actions = new StringBuilder();
            while (audit.next()) {
                actions.append(audit.getString("action")).append(' ');
            }
            assertThat(actions.toString().trim()).isEqualTo("team.create key.create key.revoke");
        }
    }

    @Test
    void whatPostgresCannotStoreIsRefusedBeforeItTriesWith400() {
        WebTestClient admin = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).responseTimeout(Duration.ofSeconds(20))
                .defaultHeader("Authorization", "Bearer " + ADMIN_TOKEN).build();
        admin.post().uri("/admin/v1/teams").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"name\":\"pg-nul\",\"description\":\"a\\u0000b\"}").exchange()
                .expectStatus().isBadRequest().expectBody().jsonPath("$.code").isEqualTo("invalid_field").jsonPath("$.field").isEqualTo("description");
        String team = post("/admin/v1/teams", "{\"name\":\"pg-expiry\"}").get("id").asString();
        for (String expires : java.util.List.of("+1000000000-01-01T00:00:00Z", "294277-01-01T00:00:00Z", "10000-01-01T00:00:00Z")) {
            admin.post().uri("/admin/v1/teams/" + team + "/keys").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue("{\"expiresAt\":\"" + expires + "\"}").exchange()
                    .expectStatus().isBadRequest().expectBody().jsonPath("$.field").isEqualTo("expiresAt");
        }
        post("/admin/v1/teams/" + team + "/keys", "{\"expiresAt\":\"9999-12-31T23:59:59Z\"}"); // the latest that is held
    }
}
