package com.llamagateway.gateway.e2e;

import com.llamagateway.gateway.GatewayApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The embedded default stopped as an operator stops it — SIGTERM to its process, the JVM's shutdown hooks — loses no
 * usage row: the rows still queued (the ledger writes once an hour here) and the key's last use are written before
 * the database closes.
 * H2 closes its databases in a shutdown hook of its own unless told not to, which ran beside Spring's graceful
 * shutdown and took the rows with it.
 */
class TerminatedProcessLedgerTest {

    private static final String ADMIN = "terminated-process-admin-token-0123456789";
    private static final int COMPLETIONS = 12;

    @TempDir
    Path dataDir;

    @Test
    void aGatewayEndedBySigtermWritesEveryQueuedUsageRowFirst() throws Exception {
        int port = freePort();
        Path log = dataDir.resolve("gateway.log");
        Process gateway = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), GatewayApplication.class.getName(),
                "--server.port=" + port, "--gateway.data-dir=" + dataDir, "--gateway.admin.token=" + ADMIN,
                "--gateway.usage.flush-interval=1h", "--management.server.port=" + freePort())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String base = "http://127.0.0.1:" + port;
            awaitHealthy(http, base, gateway, log);
            String team = field(send(http, HttpRequest.newBuilder(URI.create(base + "/admin/v1/teams"))
                    .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"terminated\"}")), 201), "id");
            String key = field(send(http, HttpRequest.newBuilder(URI.create(base + "/admin/v1/teams/" + team + "/keys"))
                    .header("Authorization", "Bearer " + ADMIN).POST(HttpRequest.BodyPublishers.noBody()), 201), "key");
            for (int i = 0; i < COMPLETIONS; i++) {
                send(http, HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"Meta-Llama-3.1-70B-Instruct\",\"max_tokens\":8,"
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}]}")), 200);
            }

            gateway.destroy(); // SIGTERM
            assertThat(gateway.waitFor(90, TimeUnit.SECONDS)).as("the gateway stopped").isTrue();
        } finally {
            gateway.destroyForcibly();
        }

        String output = Files.readString(log);
        try (Connection db = DriverManager.getConnection("jdbc:h2:file:" + dataDir.resolve("gateway"), "sa", "");
             ResultSet rows = db.createStatement().executeQuery("select count(*) from usage_ledger")) {
            rows.next();
            assertThat(rows.getInt(1)).as(output).isEqualTo(COMPLETIONS);
            ResultSet used = db.createStatement().executeQuery("select count(*) from api_keys where last_used_at is not null");
            used.next();
            assertThat(used.getInt(1)).as("the key's last use, written when the gateway stopped").isEqualTo(1);
        }
        assertThat(output).contains(COMPLETIONS + " queued rows written on shutdown").doesNotContain("could not be written");
    }

    private static void awaitHealthy(HttpClient http, String base, Process gateway, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            assertThat(gateway.isAlive()).as(() -> read(log)).isTrue();
            try {
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() == 401) { // up: the LLM routes answer (a key is missing)
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the gateway did not start: " + read(log));
    }

    private static String send(HttpClient http, HttpRequest.Builder request, int expected) throws Exception {
        HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(expected);
        return response.body();
    }

    private static String field(String json, String name) {
        Matcher matcher = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
        assertThat(matcher.find()).as(json).isTrue();
        return matcher.group(1);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
