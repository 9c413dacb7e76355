package com.llamagateway.gateway.e2e;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The admin API on the embedded default (H2), with the bootstrap token, driven as an admin would. */
@ExtendWith(OutputCaptureExtension.class)
class AdminApiTest extends GatewayIntegrationTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    WebTestClient admin() {
        return anonymousHttp().mutate().defaultHeader("Authorization", "Bearer " + ADMIN_TOKEN).build();
    }

    private JsonNode body(WebTestClient.ResponseSpec response) {
        return JSON.readTree(new String(response.expectBody().returnResult().getResponseBodyContent(), StandardCharsets.UTF_8));
    }

    private JsonNode createTeam(String json) {
        return body(admin().post().uri("/admin/v1/teams").contentType(MediaType.APPLICATION_JSON).bodyValue(json).exchange()
                .expectStatus().isCreated().expectHeader().exists("Location"));
    }

    private JsonNode createKey(String teamId) {
        return body(admin().post().uri("/admin/v1/teams/" + teamId + "/keys").exchange().expectStatus().isCreated());
    }

    private OpenAIClient openAi(String key) {
        return OpenAIOkHttpClient.builder().baseUrl(baseUrl() + "/v1").apiKey(key).maxRetries(0).timeout(Duration.ofSeconds(20)).build();
    }

    private static ChatCompletionCreateParams chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Hi").maxTokens(3).build();
    }

    @Test
    void createTeamCreateKeyCallRevokeRefused(CapturedOutput output) {
        JsonNode team = createTeam("{\"name\":\"flow-" + UUID.randomUUID() + "\",\"description\":\"the search team\"}");
        JsonNode key = createKey(team.get("id").asString());
        String secret = key.get("key").asString();
        assertThat(secret).startsWith(key.get("prefix").asString());

        assertThat(openAi(secret).chat().completions().create(chat(MODEL_V1)).choices()).hasSize(1);

        String keys = new String(admin().get().uri("/admin/v1/teams/" + team.get("id").asString() + "/keys").exchange()
                .expectStatus().isOk().expectBody().returnResult().getResponseBodyContent(), StandardCharsets.UTF_8);
        assertThat(keys).contains(key.get("id").asString()).doesNotContain(secret).doesNotContain("\"key\"");

        admin().delete().uri("/admin/v1/teams/" + team.get("id").asString() + "/keys/" + key.get("id").asString()).exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.active").isEqualTo(false).jsonPath("$.revokedAt").isNotEmpty();
        assertThatThrownBy(() -> openAi(secret).chat().completions().create(chat(MODEL_V1))).isInstanceOf(UnauthorizedException.class);

        // nothing after creation shows the secret: not the listings, not the audit log, not the log
        for (String path : new String[]{"/admin/v1/teams", "/admin/v1/audit?limit=500", "/admin/v1/teams/" + team.get("id").asString()}) {
            String text = new String(admin().get().uri(path).exchange().expectStatus().isOk().expectBody().returnResult()
                    .getResponseBodyContent(), StandardCharsets.UTF_8);
            assertThat(text).as(path).doesNotContain(secret).doesNotContain(secret.substring(11));
        }
        assertThat(output.getAll()).doesNotContain(secret).doesNotContain(secret.substring(11)).doesNotContain(ADMIN_TOKEN);
    }

    @org.springframework.beans.factory.annotation.Autowired
    com.llamagateway.gateway.team.KeyAuthenticator keyAuthenticator;

    @Test
    void lastUseIsRecordedInBatchesNotPerRequest() {
        JsonNode team = createTeam("{\"name\":\"used-" + UUID.randomUUID() + "\"}");
        JsonNode key = createKey(team.get("id").asString());
        String keys = "/admin/v1/teams/" + team.get("id").asString() + "/keys";
        openAi(key.get("key").asString()).models().list();
        admin().get().uri(keys).exchange().expectStatus().isOk().expectBody().jsonPath("$.keys[0].lastUsedAt").isEmpty();
        // what the periodic flush does (its timer is hours here: the empty value above cannot race with it)
        keyAuthenticator.flushLastUsed().block(Duration.ofSeconds(5));
        admin().get().uri(keys).exchange().expectStatus().isOk().expectBody().jsonPath("$.keys[0].lastUsedAt").isNotEmpty();
    }

    @Test
    void everyChangeIsAudited() {
        String name = "audited-" + UUID.randomUUID();
        JsonNode team = createTeam("{\"name\":\"" + name + "\"}");
        String id = team.get("id").asString();
        admin().patch().uri("/admin/v1/teams/" + id).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"description\":\"now described\",\"models\":[\"" + MODEL_AZURE + "\"]}").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.name").isEqualTo(name).jsonPath("$.models[0]").isEqualTo(MODEL_AZURE);
        JsonNode key = createKey(id);
        admin().delete().uri("/admin/v1/teams/" + id + "/keys/" + key.get("id").asString()).exchange().expectStatus().isOk().expectBody().returnResult();
        admin().delete().uri("/admin/v1/teams/" + id).exchange().expectStatus().isNoContent().expectBody().returnResult();
        admin().get().uri("/admin/v1/teams/" + id).exchange().expectStatus().isNotFound().expectBody().returnResult();

        JsonNode entries = body(admin().get().uri("/admin/v1/audit?limit=5").exchange().expectStatus().isOk()).get("entries");
        assertThat(entries).extracting(e -> e.get("action").asString())
                .containsExactly("team.delete", "key.revoke", "key.create", "team.update", "team.create");
        assertThat(entries).allSatisfy(e -> {
            assertThat(e.get("actor").asString()).isEqualTo("bootstrap-admin");
            assertThat(e.get("at").asString()).isNotEmpty();
        });
        JsonNode update = entries.get(3);
        assertThat(update.get("before").get("description").isNull()).isTrue();
        assertThat(update.get("after").get("description").asString()).isEqualTo("now described");
        assertThat(entries.get(0).get("before").get("name").asString()).isEqualTo(name);
        assertThat(entries.get(0).get("after").isNull()).isTrue();
        assertThat(entries.get(2).get("after").has("key")).isFalse();
    }

    @Test
    void aTeamLimitedToSomeModelsIsRefusedTheOthers() {
        JsonNode team = createTeam("{\"name\":\"limited-" + UUID.randomUUID() + "\",\"models\":[\"" + MODEL_SCORE + "\"]}");
        String secret = createKey(team.get("id").asString()).get("key").asString();

        assertThat(openAi(secret).models().list().data()).extracting(m -> m.id()).containsExactly(MODEL_SCORE);
        assertThat(openAi(secret).chat().completions().create(chat(MODEL_SCORE)).choices()).hasSize(1);
        assertThatThrownBy(() -> openAi(secret).chat().completions().create(chat(MODEL_V1))).isInstanceOf(PermissionDeniedException.class);
        anonymousHttp().post().uri("/chat/completions").header("api-key", secret).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"" + MODEL_AZURE + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}").exchange()
                .expectStatus().isForbidden().expectBody().jsonPath("$.error.code").isEqualTo("model_not_allowed").jsonPath("$.error.status").isEqualTo(403);

        admin().put().uri("/admin/v1/teams/" + team.get("id").asString() + "/models").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"models\":null}").exchange().expectStatus().isOk().expectBody().jsonPath("$.models").isEmpty();
        assertThat(openAi(secret).chat().completions().create(chat(MODEL_V1)).choices()).hasSize(1);
    }

    @Test
    void badRequestsNameTheirField() {
        expectProblem(admin().post().uri("/admin/v1/teams").contentType(MediaType.APPLICATION_JSON).bodyValue("{}").exchange(), 400, "name");
        expectProblem(admin().post().uri("/admin/v1/teams").contentType(MediaType.APPLICATION_JSON).bodyValue("{\"name\":7}").exchange(), 400, "name");
        expectProblem(admin().post().uri("/admin/v1/teams").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"name\":\"x-" + UUID.randomUUID() + "\",\"models\":[\"Llama-9\"]}").exchange(), 400, "models[0]");
        expectProblem(admin().post().uri("/admin/v1/teams").contentType(MediaType.APPLICATION_JSON).bodyValue("{\"name\":").exchange(), 400, null);
        String id = createTeam("{\"name\":\"valid-" + UUID.randomUUID() + "\"}").get("id").asString();
        expectProblem(admin().post().uri("/admin/v1/teams/" + id + "/keys").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"expiresAt\":\"2001-01-01T00:00:00Z\"}").exchange(), 400, "expiresAt");
        expectProblem(admin().post().uri("/admin/v1/teams/" + id + "/keys").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"expiresAt\":\"tomorrow\"}").exchange(), 400, "expiresAt");
        expectProblem(admin().get().uri("/admin/v1/audit?limit=0").exchange(), 400, "limit");
    }

    @Test
    void unknownIdsAre404AndTakenNamesAre409() {
        expectProblem(admin().get().uri("/admin/v1/teams/" + UUID.randomUUID()).exchange(), 404, null);
        expectProblem(admin().post().uri("/admin/v1/teams/" + UUID.randomUUID() + "/keys").exchange(), 404, null);
        String id = createTeam("{\"name\":\"k-" + UUID.randomUUID() + "\"}").get("id").asString();
        expectProblem(admin().delete().uri("/admin/v1/teams/" + id + "/keys/" + UUID.randomUUID()).exchange(), 404, null);
        String name = "taken-" + UUID.randomUUID();
        createTeam("{\"name\":\"" + name + "\"}");
        expectProblem(admin().post().uri("/admin/v1/teams").contentType(MediaType.APPLICATION_JSON).bodyValue("{\"name\":\"" + name + "\"}")
                .exchange(), 409, "name");
        expectProblem(admin().patch().uri("/admin/v1/teams/" + id).contentType(MediaType.APPLICATION_JSON).bodyValue("{\"name\":\"" + name + "\"}")
                .exchange(), 409, "name");
    }

    private static void expectProblem(WebTestClient.ResponseSpec response, int status, String field) {
        WebTestClient.BodyContentSpec body = response.expectStatus().isEqualTo(status)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.status").isEqualTo(status).jsonPath("$.code").isNotEmpty().jsonPath("$.detail").isNotEmpty();
        if (field != null) {
            body.jsonPath("$.field").isEqualTo(field);
        }
    }

    @Test
    void onlyTheAdminTokenOpensTheAdminApi() {
        anonymousHttp().get().uri("/admin/v1/teams").exchange().expectStatus().isUnauthorized()
                .expectBody().jsonPath("$.code").isEqualTo("unauthorized");
        anonymousHttp().get().uri("/admin/v1/teams").header("Authorization", "Bearer " + teamKey()).exchange().expectStatus().isUnauthorized().expectBody().returnResult();
        anonymousHttp().get().uri("/admin/v1/teams").header("api-key", ADMIN_TOKEN).exchange().expectStatus().isOk().expectBody().returnResult();
        anonymousHttp().get().uri("/admin/v1/teams").header("Authorization", "Bearer " + ADMIN_TOKEN + "x").exchange().expectStatus().isUnauthorized().expectBody().returnResult();
        // and the admin token is no team key
        anonymousHttp().get().uri("/v1/models").header("Authorization", "Bearer " + ADMIN_TOKEN).exchange().expectStatus().isUnauthorized().expectBody().returnResult();
    }

    @Test
    void theCatalogIsListedWithoutSecretsAndTheApiIsDescribed() {
        String deployments = new String(admin().get().uri("/admin/v1/deployments").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.deployments.length()").isEqualTo(3)
                .jsonPath("$.deployments[2].kind").isEqualTo("managed-compute")
                .jsonPath("$.deployments[2].deploymentName").isEqualTo("llama3-8b-blue")
                .returnResult().getResponseBodyContent(), StandardCharsets.UTF_8);
        assertThat(deployments).doesNotContain(simulator.deployment(DEPLOYMENT_V1).apiKey()).doesNotContain("apiKey");
        anonymousHttp().get().uri("/admin/v1/openapi.json").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.openapi").isEqualTo("3.1.0")
                .jsonPath("$.paths['/teams/{id}/keys/{keyId}'].delete").exists()
                .jsonPath("$.paths['/audit'].get").exists();
    }

    @Test
    void malformedAndUnknownKeysAreRefusedInTheCallersDialect() {
        anonymousHttp().post().uri("/v1/chat/completions").header("Authorization", "Bearer sk-not-a-gateway-key").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{}").exchange().expectStatus().isUnauthorized().expectHeader().exists("x-request-id")
                .expectBody().jsonPath("$.error.code").isEqualTo("invalid_api_key").jsonPath("$.error.type").isEqualTo("authentication_error");
        String unknown = com.llamagateway.gateway.team.KeyFormat.generate(); // well formed, never issued
        anonymousHttp().post().uri("/chat/completions").header("api-key", unknown).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{}").exchange().expectStatus().isUnauthorized()
                .expectBody().jsonPath("$.error.code").isEqualTo("invalid_api_key").jsonPath("$.error.status").isEqualTo(401);
        anonymousHttp().get().uri("/info").exchange().expectStatus().isUnauthorized().expectBody().jsonPath("$.error.status").isEqualTo(401);
    }
}
