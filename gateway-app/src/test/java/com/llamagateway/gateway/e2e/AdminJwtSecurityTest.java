package com.llamagateway.gateway.e2e;

import com.llamagateway.gateway.support.TestTeams;
import com.llamagateway.gateway.team.TeamService;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.UUID;

/**
 * The admin API as a real deployment runs it: an OAuth2 resource server trusting a signing key (generated here, no
 * identity provider involved). Scope {@code gateway.admin} is required; the bootstrap token and team keys are refused.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.r2dbc.url=r2dbc:h2:mem:///gateway-jwt?options=DB_CLOSE_DELAY=-1",
        "spring.flyway.url=jdbc:h2:mem:gateway-jwt;DB_CLOSE_DELAY=-1",
        "gateway.admin.token=" + AdminJwtSecurityTest.BOOTSTRAP_TOKEN, "gateway.data-dir=target/test-data"})
class AdminJwtSecurityTest {

    static final String BOOTSTRAP_TOKEN = "bootstrap-token-that-must-not-work-here";
    private static KeyPair signingKey;

    @LocalServerPort
    int port;

    @Autowired
    TeamService teams;

    @DynamicPropertySource
    static void issuer(DynamicPropertyRegistry registry) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        signingKey = generator.generateKeyPair();
        Path pem = Files.createTempDirectory("gateway-jwt").resolve("issuer.pem");
        Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(signingKey.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
        registry.add("spring.security.oauth2.resourceserver.jwt.public-key-location", () -> "file:" + pem);
    }

    private static String jwt(String subject, String scope, Instant expires) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), new JWTClaimsSet.Builder()
                .subject(subject).claim("scope", scope).issueTime(new Date()).expirationTime(Date.from(expires))
                .jwtID(UUID.randomUUID().toString()).build());
        jwt.sign(new RSASSASigner((RSAPrivateKey) signingKey.getPrivate()));
        return jwt.serialize();
    }

    private WebTestClient http() {
        return WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).responseTimeout(Duration.ofSeconds(20)).build();
    }

    private WebTestClient.ResponseSpec teamsWith(String authorization) {
        WebTestClient.RequestHeadersSpec<?> request = http().get().uri("/admin/v1/teams");
        return (authorization == null ? request : request.header("Authorization", authorization)).exchange();
    }

    @Test
    void theRightScopeIsLetInAndNamedInTheAudit() throws Exception {
        String token = jwt("alice@example.com", "openid gateway.admin", Instant.now().plusSeconds(300));
        teamsWith("Bearer " + token).expectStatus().isOk().expectBody().returnResult();
        http().post().uri("/admin/v1/teams").header("Authorization", "Bearer " + token).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"name\":\"jwt-made\"}").exchange().expectStatus().isCreated().expectBody().returnResult();
        http().get().uri("/admin/v1/audit?limit=1").header("Authorization", "Bearer " + token).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.entries[0].actor").isEqualTo("jwt:alice@example.com").jsonPath("$.entries[0].action").isEqualTo("team.create");
    }

    @Test
    void anotherScopeIsForbidden() throws Exception {
        teamsWith("Bearer " + jwt("bob", "openid profile", Instant.now().plusSeconds(300)))
                .expectStatus().isForbidden().expectBody().jsonPath("$.code").isEqualTo("forbidden");
    }

    @Test
    void noTokenAnExpiredTokenOrAForgedOneIsUnauthorized() throws Exception {
        teamsWith(null).expectStatus().isUnauthorized().expectBody().jsonPath("$.code").isEqualTo("unauthorized");
        teamsWith("Bearer " + jwt("carol", "gateway.admin", Instant.now().minusSeconds(120))).expectStatus().isUnauthorized().expectBody().returnResult();
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair other = generator.generateKeyPair();
        SignedJWT forged = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), new JWTClaimsSet.Builder().subject("mallory")
                .claim("scope", "gateway.admin").expirationTime(Date.from(Instant.now().plusSeconds(300))).build());
        forged.sign(new RSASSASigner((RSAPrivateKey) other.getPrivate()));
        teamsWith("Bearer " + forged.serialize()).expectStatus().isUnauthorized().expectBody().returnResult();
    }

    @Test
    void theBootstrapTokenWorksOnlyWhereNoIssuerIsConfigured() {
        teamsWith("Bearer " + BOOTSTRAP_TOKEN).expectStatus().isUnauthorized().expectBody().returnResult();
    }

    @Test
    void teamKeysNeverOpenTheAdminApi() {
        String key = TestTeams.newKey(teams);
        teamsWith("Bearer " + key).expectStatus().isUnauthorized().expectBody().returnResult();
        http().get().uri("/admin/v1/teams").header("api-key", key).exchange().expectStatus().isUnauthorized().expectBody().returnResult();
        http().get().uri("/v1/models").header("Authorization", "Bearer " + key).exchange().expectStatus().isOk().expectBody().returnResult();
    }
}
