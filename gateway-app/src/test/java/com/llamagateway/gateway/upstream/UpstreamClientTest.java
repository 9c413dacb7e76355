package com.llamagateway.gateway.upstream;

import com.llamagateway.gateway.protocol.BackendRequest;
import com.llamagateway.gateway.protocol.DialectName;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.routing.DeploymentKind;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;

import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** How deployment failures reach the caller. */
class UpstreamClientTest {

    private final Json json = Json.lenient();

    private static Deployment at(URI url) {
        return new Deployment("d", DeploymentKind.SERVERLESS, url, "secret", "m", DialectName.V1, null, "v",
                Duration.ofSeconds(2), Duration.ofSeconds(2), new Deployment.Capacity(400_000, 1_000));
    }

    @Test
    void anUnreachableDeploymentIs502() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (UpstreamClient client = new UpstreamClient(json, io.micrometer.observation.ObservationRegistry.NOOP, 1 << 20, java.time.Duration.ofSeconds(30))) {
            GatewayError error = catchThrowableOfType(GatewayError.class, () -> client.call(at(URI.create("http://127.0.0.1:" + closedPort)),
                    new BackendRequest("/v1/chat/completions", Map.of(), json.object()), "r1").block(Duration.ofSeconds(10)));
            assertThat(error.status().value()).isEqualTo(502);
            assertThat(error.code()).isEqualTo("upstream_unavailable");
        }
    }

    @Test
    void azureContentFilterRefusalKeepsItsCodeAndParam() {
        // the serverless Llama content-filter body (research/azure-apis.md §1.12 b)
        String body = "{\"error\":{\"message\":\"The response was filtered due to the prompt triggering Microsoft's content management policy."
                + " Please modify your prompt and retry.\",\"type\":null,\"param\":\"prompt\",\"code\":\"content_filter\",\"status\":400}}";
        GatewayError error = UpstreamFailures.fromStatus(at(URI.create("http://x")), 400, new HttpHeaders(), body, json);
        assertThat(error.status().value()).isEqualTo(400);
        assertThat(error.code()).isEqualTo("content_filter");
        assertThat(error.param()).isEqualTo("prompt");
        assertThat(error.getMessage()).contains("content management policy");
    }

    @Test
    void modelInferenceValidationErrorsKeepTheirDetail() {
        String body = "{\"status\":422,\"code\":\"parameter_not_supported\",\"detail\":{\"loc\":[\"body\",\"response_format\"],"
                + "\"input\":\"json_object\"},\"message\":\"One of the parameters contain invalid values.\"}";
        GatewayError error = UpstreamFailures.fromStatus(at(URI.create("http://x")), 422, new HttpHeaders(), body, json);
        assertThat(error.status().value()).isEqualTo(422);
        assertThat(error.code()).isEqualTo("parameter_not_supported");
        assertThat(error.getMessage()).contains("One of the parameters contain invalid values.");
    }

    @Test
    void rateLimitsKeepTheDeploymentsRetryHints() {
        HttpHeaders headers = new HttpHeaders();
        headers.set("retry-after", "6");
        headers.set("retry-after-ms", "5200");
        GatewayError error = UpstreamFailures.fromStatus(at(URI.create("http://x")), 429, headers,
                "{\"error\":{\"code\":\"429\",\"message\":\"Rate limit is exceeded. Try again in 6 seconds.\"}}", json);
        assertThat(error.status().value()).isEqualTo(429);
        assertThat(error.headers()).containsEntry("Retry-After", "6").containsEntry("retry-after-ms", "5200");
    }

    @Test
    void aDeploymentThatRefusesTheGatewaysKeyIsTheGatewaysProblem() {
        GatewayError error = UpstreamFailures.fromStatus(at(URI.create("http://x")), 401, new HttpHeaders(),
                "{\"error\":{\"code\":\"Unauthorized\",\"message\":\"Access token is missing or invalid\"}}", json);
        assertThat(error.status().value()).isEqualTo(502);
        assertThat(error.getMessage()).doesNotContain("secret");
    }
}
