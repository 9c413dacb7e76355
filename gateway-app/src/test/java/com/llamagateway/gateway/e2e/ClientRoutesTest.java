package com.llamagateway.gateway.e2e;

import com.llamagateway.gateway.support.RawHttp;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The LLM routes are served in front of Spring Security's filter chains and WebFlux's dispatcher
 * ({@code api.ClientRoutes}, {@code security.TeamKeyGate}). Every answer on them — a completion in each dialect, a
 * stream, the model list, the model information, a handler's error, a refused key, a firewall refusal — carries what
 * the client chain gives an answer (Spring Security's default headers, {@code x-request-id}), and each request is
 * observed as {@code http.server.requests} with its route as the {@code uri}, refused keys included.
 */
class ClientRoutesTest extends GatewayIntegrationTest {

    private static final String FULL_NO_CACHE = "no-cache, no-store, max-age=0, must-revalidate";

    @Autowired
    MeterRegistry registry;

    private String chat(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"stream\":" + stream
                + ",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    }

    private RawHttp.Response post(String path, String authorization, String body) throws IOException {
        return RawHttp.exchange(port, "POST " + path + " HTTP/1.1" + (authorization == null ? "" : "\r\nAuthorization: " + authorization)
                + "\r\nContent-Type: application/json", body.getBytes(StandardCharsets.UTF_8));
    }

    private RawHttp.Response get(String path) throws IOException {
        return RawHttp.exchange(port, "GET " + path + " HTTP/1.1\r\nAuthorization: Bearer " + teamKey(), null);
    }

    @Test
    void everyAnswerOnTheLlmRoutesCarriesTheSecurityHeadersAndARequestId() throws IOException {
        String key = "Bearer " + teamKey();
        Map<String, RawHttp.Response> answers = new LinkedHashMap<>();
        answers.put("v1 completion", post("/v1/chat/completions", key, chat(MODEL_V1, false)));
        answers.put("azure completion", post("/models/chat/completions?api-version=2024-05-01-preview", key, chat(MODEL_AZURE, false)));
        answers.put("v1 stream", post("/v1/chat/completions", key, chat(MODEL_V1, true)));
        answers.put("model list", get("/v1/models"));
        answers.put("model information", get("/info?model=" + MODEL_AZURE));
        answers.put("malformed JSON", post("/v1/completions", key, "{\"model\": ["));
        answers.put("no key", post("/chat/completions", null, chat(MODEL_AZURE, false)));
        // U+0085 passes Netty's header checks; Spring Security's firewall refuses it when the key is read
        answers.put("a firewall refusal", post("/v1/chat/completions", "Bearer llgw_\u0085", chat(MODEL_V1, false)));

        Map<String, Integer> statuses = new LinkedHashMap<>();
        answers.forEach((what, answer) -> statuses.put(what, answer.status()));
        assertThat(statuses).containsExactlyInAnyOrderEntriesOf(Map.of("v1 completion", 200, "azure completion", 200, "v1 stream", 200,
                "model list", 200, "model information", 200, "malformed JSON", 400, "no key", 401, "a firewall refusal", 400));
        answers.forEach((what, answer) -> {
            assertThat(answer.header("X-Content-Type-Options")).as(what).isEqualTo("nosniff");
            assertThat(answer.header("X-Frame-Options")).as(what).isEqualTo("DENY");
            assertThat(answer.header("X-XSS-Protection")).as(what).isEqualTo("0");
            assertThat(answer.header("Referrer-Policy")).as(what).isEqualTo("no-referrer");
            assertThat(answer.header("Strict-Transport-Security")).as(what + ": HSTS only over HTTPS").isNull();
            assertThat(answer.header("x-request-id")).as(what).isNotBlank();
            assertThat(answer.header("Cache-Control")).as(what).isEqualTo(what.equals("v1 stream") ? "no-cache" : FULL_NO_CACHE);
        });
        assertThat(answers.get("v1 stream").header("Content-Type")).startsWith("text/event-stream");
        assertThat(answers.get("v1 stream").text()).endsWith("data: [DONE]\n\n");
        assertThat(answers.get("v1 completion").header("x-gateway-deployment")).isEqualTo(DEPLOYMENT_V1);
        assertThat(answers.get("no key").header("WWW-Authenticate")).isEqualTo("Bearer");
        assertThat(answers.get("no key").text()).contains("\"code\":\"invalid_api_key\"");
        assertThat(answers.get("a firewall refusal").text()).contains("\"code\":\"invalid_request\"");
    }

    @Test
    void eachRouteIsObservedWithItsRouteAsTheUriRefusedKeysIncluded() throws IOException {
        String key = "Bearer " + teamKey();
        Map<String, Double> before = new LinkedHashMap<>();
        String[][] observed = {{"/v1/chat/completions", "200"}, {"/models/chat/completions", "200"}, {"/v1/models", "200"},
                {"/info", "200"}, {"/chat/completions", "401"}};
        for (String[] route : observed) {
            before.put(route[0] + " " + route[1], count(route[0], route[1]));
        }
        assertThat(post("/v1/chat/completions", key, chat(MODEL_V1, false)).status()).isEqualTo(200);
        assertThat(post("/models/chat/completions", key, chat(MODEL_AZURE, false)).status()).isEqualTo(200);
        assertThat(get("/v1/models").status()).isEqualTo(200);
        assertThat(get("/info?model=" + MODEL_AZURE).status()).isEqualTo(200);
        assertThat(post("/chat/completions", "Bearer llgw_not-a-key", chat(MODEL_AZURE, false)).status()).isEqualTo(401);

        // the observation stops when the exchange completes, which may be just after the client has read the answer
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Map<String, Double> added = new LinkedHashMap<>();
        do {
            for (String[] route : observed) {
                String name = route[0] + " " + route[1];
                added.put(name, count(route[0], route[1]) - before.get(name));
            }
        } while (added.containsValue(0.0) && System.nanoTime() < deadline && sleepBriefly());
        assertThat(added).allSatisfy((route, count) -> assertThat(count).as(route).isGreaterThanOrEqualTo(1.0));
    }

    private double count(String uri, String status) {
        return registry.find("http.server.requests").tags("uri", uri, "status", status).timers().stream().mapToDouble(Timer::count).sum();
    }

    private static boolean sleepBriefly() {
        sleep(50);
        return true;
    }
}
