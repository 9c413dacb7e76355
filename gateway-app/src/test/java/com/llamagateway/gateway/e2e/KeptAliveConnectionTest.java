package com.llamagateway.gateway.e2e;

import com.llamagateway.gateway.support.RawHttp;
import com.llamagateway.gateway.support.Replicas;
import com.llamagateway.gateway.support.TestTeams;
import com.llamagateway.gateway.team.TeamService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A kept-alive connection goes on serving requests whatever the order in which they arrived: sent one by one, or
 * several at once (pipelined, or sent before the previous exchange was over), answered at once or later — and a
 * connection left idle is closed after {@code server.netty.idle-timeout}, not held for ever.
 * <p>
 * Reactor Netty 1.3.6 stops reading a connection after it answers at once a request it had queued
 * (reactor-netty#4361): the next request then waits for ever. {@code ConnectionGuard} resumes the reading.
 */
class KeptAliveConnectionTest {

    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(3);
    /** How much later than its idle timeout a connection may be closed: the timers are Netty's, on a busy machine. */
    private static final Duration SLACK = Duration.ofSeconds(5);
    private static final String ADMIN_TOKEN = "kept-alive-admin-token-0123456789";

    private static ConfigurableApplicationContext gateway;
    private static int port;
    private static String key;
    private static String teamId;

    @BeforeAll
    static void start() {
        gateway = Replicas.start(Map.of("server.port", "0",
                "spring.r2dbc.url", "r2dbc:h2:mem:///kept-alive?options=DB_CLOSE_DELAY=-1",
                "spring.flyway.url", "jdbc:h2:mem:kept-alive;DB_CLOSE_DELAY=-1",
                "gateway.admin.token", ADMIN_TOKEN,
                "gateway.data-dir", "target/test-data",
                "server.netty.idle-timeout", IDLE_TIMEOUT.toMillis() + "ms"));
        port = Integer.parseInt(gateway.getEnvironment().getProperty("local.server.port"));
        TeamService teams = gateway.getBean(TeamService.class);
        key = TestTeams.newKey(teams);
        teamId = teams.createTeam("test", "kept-alive", null, null).block(Duration.ofSeconds(10)).id();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static String get(String path, String authorization) {
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (authorization == null ? "" : "Authorization: " + authorization + "\r\n") + "\r\n";
    }

    private static String post(String path, String authorization, String body) {
        return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + authorization
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    /** Requests answered at once (401, 404) and others that wait on the database or a deployment; their statuses below. */
    private static List<String> mixedRequests() {
        String chat = "{\"model\":\"Meta-Llama-3.1-70B-Instruct\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        return List.of(
                get("/actuator/health", null),
                get("/v1/models", null),
                get("/v1/models", "Bearer " + key),
                post("/v1/chat/completions", "Bearer " + key, chat),
                get("/nowhere", "Bearer " + key),
                post("/admin/v1/teams/" + teamId + "/keys", "Bearer " + ADMIN_TOKEN, "{}"),
                get("/admin/v1/teams", "Bearer " + ADMIN_TOKEN),
                post("/admin/v1/teams", "Bearer wrong", "{}"));
    }

    private static final List<Integer> STATUSES = List.of(200, 401, 200, 200, 404, 201, 200, 401);

    private static void send(OutputStream out, String... requests) throws IOException {
        out.write(String.join("", requests).getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static List<Integer> statuses(InputStream in, int responses) throws IOException {
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < responses; i++) {
            statuses.add(RawHttp.read(in).status());
        }
        return statuses;
    }

    @Test
    void anAnswerSaysHowLongItIsAndAStreamIsNeitherCachedNorBuffered() throws IOException {
        String chat = "{\"model\":\"Meta-Llama-3.1-70B-Instruct\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        RawHttp.Response complete = RawHttp.exchange(port, "POST /v1/chat/completions HTTP/1.1\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/json", chat.getBytes(StandardCharsets.UTF_8));
        assertThat(complete.status()).isEqualTo(200);
        assertThat(complete.header("content-type")).isEqualTo("application/json");
        assertThat(complete.header("transfer-encoding")).isNull();
        assertThat(complete.body()).hasSize(Integer.parseInt(complete.header("content-length")));
        assertThat(complete.text()).startsWith("{").endsWith("}").contains("\"chat.completion\"");
        assertThat(complete.header("x-request-id")).isNotBlank();
        assertThat(complete.header("x-ratelimit-remaining-requests")).isNotBlank();

        String streamed = chat.replace("\"max_tokens\":3,", "\"max_tokens\":3,\"stream\":true,");
        RawHttp.Response stream = RawHttp.exchange(port, "POST /v1/chat/completions HTTP/1.1\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/json", streamed.getBytes(StandardCharsets.UTF_8));
        assertThat(stream.status()).isEqualTo(200);
        assertThat(stream.header("content-type")).isEqualTo("text/event-stream");
        assertThat(stream.header("cache-control")).isEqualTo("no-cache");
        assertThat(stream.header("x-accel-buffering")).isEqualTo("no");
        assertThat(stream.header("transfer-encoding")).isEqualTo("chunked");
        assertThat(stream.header("x-request-id")).isNotBlank();
        assertThat(stream.header("x-ratelimit-remaining-requests")).isNotBlank();
        assertThat(stream.text()).startsWith("data: {").contains("\"chat.completion.chunk\"").endsWith("data: [DONE]\n\n");
    }

    @Test
    void aRequestAfterTwoSentAtOnceIsAnswered() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            // the second is queued behind the first and answered at once: the case Reactor Netty 1.3.6 stops reading after
            send(socket.getOutputStream(), get("/actuator/health", null), get("/nowhere", null));
            assertThat(statuses(socket.getInputStream(), 2)).containsExactly(200, 404);

            send(socket.getOutputStream(), get("/v1/models", "Bearer " + key));
            assertThat(statuses(socket.getInputStream(), 1)).as("the next request on the connection").containsExactly(200);
        }
    }

    @Test
    void everyOrderOfArrivalIsServedOnOneConnection() throws IOException {
        List<String> requests = mixedRequests();
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < requests.size(); i++) { // one at a time
                    send(out, requests.get(i));
                    assertThat(statuses(in, 1)).as("request %s", i).containsExactly(STATUSES.get(i));
                }
                for (int i = 0; i + 1 < requests.size(); i++) { // two at a time, every neighbouring pair
                    send(out, requests.get(i), requests.get(i + 1));
                    assertThat(statuses(in, 2)).as("pair %s", i).containsExactly(STATUSES.get(i), STATUSES.get(i + 1));
                }
                send(out, requests.toArray(String[]::new)); // all at once
                assertThat(statuses(in, requests.size())).as("all at once, round %s", round).isEqualTo(STATUSES);
            }
        }
    }

    /**
     * An exchange is let go once answered, also when it was answered before its request's end was read (a GET
     * answered at once, a refusal): 2,000 of them on one connection leave no exchange alive behind them. Reactor
     * Netty's request timeout kept each such exchange, headers and all, in the event loop's timer queue for its
     * whole duration (the body timeout + 2 s): at thousands of requests a second, hundreds of megabytes that every
     * young collection copied.
     */
    @Test
    void noExchangeOutlivesItsAnswer() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            for (int i = 0; i < 1_000; i++) {
                send(socket.getOutputStream(), get("/v1/models", "Bearer " + key), post("/v1/models", "Bearer wrong", "{}"));
                assertThat(statuses(socket.getInputStream(), 2)).containsExactly(200, 401);
            }
            assertThat(liveInstances("reactor.netty.http.server.HttpServerOperations")).as("exchanges alive after 2,000 answered")
                    .isLessThan(100);
        }
    }

    /** Instances of the class alive after a full collection (the JVM's class histogram). */
    private static long liveInstances(String className) throws Exception {
        javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        String histogram = (String) server.invoke(new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"),
                "gcClassHistogram", new Object[]{null}, new String[]{String[].class.getName()});
        for (String line : histogram.split("\n")) {
            String[] fields = line.trim().split("\\s+"); // num: #instances #bytes class-name (module)
            if (fields.length >= 4 && fields[3].equals(className)) {
                return Long.parseLong(fields[1]);
            }
        }
        return 0;
    }

    @Test
    void aConnectionLeftIdleAfterRequestsSentAtOnceIsClosedAfterTheIdleTimeout() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) IDLE_TIMEOUT.plus(SLACK).plus(SLACK).toMillis());
            InputStream in = socket.getInputStream();
            send(socket.getOutputStream(), get("/actuator/health", null), get("/nowhere", null));
            assertThat(statuses(in, 2)).containsExactly(200, 404);

            long idleSince = System.nanoTime();
            int read;
            try {
                read = in.read();
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the idle connection was still open " + Duration.ofNanos(System.nanoTime() - idleSince).toMillis() + " ms later", e);
            } catch (IOException reset) {
                read = -1;
            }
            Duration idle = Duration.ofNanos(System.nanoTime() - idleSince);
            assertThat(read).as("closed without a byte more").isEqualTo(-1);
            assertThat(idle).as("closed after the idle timeout").isBetween(IDLE_TIMEOUT.dividedBy(2), IDLE_TIMEOUT.plus(SLACK));
        }
    }
}
