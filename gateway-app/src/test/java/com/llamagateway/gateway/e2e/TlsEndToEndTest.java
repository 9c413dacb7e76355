package com.llamagateway.gateway.e2e;

import com.azure.ai.inference.ChatCompletionsClientBuilder;
import com.azure.ai.inference.models.ChatCompletions;
import com.azure.ai.inference.models.ChatCompletionsOptions;
import com.azure.ai.inference.models.ChatRequestUserMessage;
import com.azure.core.credential.AzureKeyCredential;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gateway serving HTTPS from a Spring Boot SSL bundle, called by the official clients the way real users
 * configure them: the Azure client with a key credential (which it sends only over HTTPS).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.r2dbc.url=r2dbc:h2:mem:///gateway-tls?options=DB_CLOSE_DELAY=-1",
        "spring.flyway.url=jdbc:h2:mem:gateway-tls;DB_CLOSE_DELAY=-1",
        "gateway.admin.token=test-admin-token-0123456789abcdef", "gateway.data-dir=target/test-data"})
class TlsEndToEndTest {

    private static final String PASSWORD = "test-only";
    private static Path keystore;

    @LocalServerPort
    int port;

    @org.springframework.beans.factory.annotation.Autowired
    com.llamagateway.gateway.team.TeamService teams;

    /** A throwaway self-signed certificate for 127.0.0.1, made with the JDK's keytool. */
    @DynamicPropertySource
    static void tls(DynamicPropertyRegistry registry) throws Exception {
        keystore = Files.createTempDirectory("gateway-tls").resolve("gateway.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "gateway", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
                .redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes());
        assertThat(keytool.waitFor()).as(output).isZero();
        registry.add("spring.ssl.bundle.jks.gateway.keystore.location", () -> "file:" + keystore);
        registry.add("spring.ssl.bundle.jks.gateway.keystore.password", () -> PASSWORD);
        registry.add("spring.ssl.bundle.jks.gateway.keystore.type", () -> "PKCS12");
        registry.add("server.ssl.bundle", () -> "gateway");
    }

    private static TrustManagerFactory trustingTheGateway() throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            trusted.load(in, PASSWORD.toCharArray());
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trusted);
        return factory;
    }

    @Test
    void azureClientWithAKeyCredentialOverHttps() throws Exception {
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, trustingTheGateway().getTrustManagers(), null);
        ChatCompletions completions = new ChatCompletionsClientBuilder()
                .endpoint("https://127.0.0.1:" + port)
                .credential(new AzureKeyCredential(com.llamagateway.gateway.support.TestTeams.newKey(teams)))
                .httpClient(new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(tls)).build())
                .buildClient()
                .complete(new ChatCompletionsOptions(List.of(new ChatRequestUserMessage("Hi"))).setModel("Meta-Llama-3.1-8B-Instruct").setMaxTokens(3));

        assertThat(completions.getChoice().getMessage().getContent()).isEqualTo("The llama is");
        assertThat(completions.getUsage().getCompletionTokens()).isEqualTo(3);
    }

    @Test
    void openAiClientOverHttps() throws Exception {
        TrustManagerFactory trust = trustingTheGateway();
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, trust.getTrustManagers(), null);
        ChatCompletion completion = OpenAIOkHttpClient.builder().baseUrl("https://127.0.0.1:" + port + "/v1").apiKey(com.llamagateway.gateway.support.TestTeams.newKey(teams))
                .sslSocketFactory(tls.getSocketFactory()).trustManager((X509TrustManager) trust.getTrustManagers()[0])
                .maxRetries(0).timeout(Duration.ofSeconds(20)).build()
                .chat().completions().create(ChatCompletionCreateParams.builder().model("Meta-Llama-3-8B-Instruct")
                        .addUserMessage("Hi").maxTokens(4).build());

        assertThat(completion.choices().get(0).message().content()).contains("The llama is a");
    }
}
