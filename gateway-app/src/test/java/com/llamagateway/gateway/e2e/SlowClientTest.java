package com.llamagateway.gateway.e2e;

import com.llamagateway.gateway.support.RawHttp;
import com.llamagateway.gateway.support.Replicas;
import com.llamagateway.gateway.support.TestTeams;
import com.llamagateway.gateway.team.TeamService;
import com.llamagateway.gateway.usage.UsageLedger;
import com.llamagateway.gateway.usage.UsageQuery;
import com.llamagateway.gateway.usage.UsageStore;
import com.llamagateway.simulator.Behaviour;
import com.llamagateway.simulator.LlamaSimulator;
import com.llamagateway.simulator.SimulatedDeployment;
import com.llamagateway.simulator.StandardDeployments;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Slow-loris clients: 200 connections trickle their request at one byte a second — 100 their headers, 100 their
 * body — and each is answered 408 and closed once its timeout is up, while a normal client is served as fast as
 * without them. And a client that stops reading a long stream is let go after the send timeout.
 */
class SlowClientTest {

    private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(4);
    private static final Duration BODY_TIMEOUT = Duration.ofSeconds(6);
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration STREAM_IDLE = Duration.ofSeconds(1);
    /** a client's pause in reading: well past the stream-idle timeout (its checks come within two of it), well before the send timeout */
    private static final Duration PAUSE = Duration.ofSeconds(5);
    /** How much later than its timeout a connection may be closed: the timers are Netty's, on a busy machine. */
    private static final Duration SLACK = Duration.ofSeconds(3);
    private static final String BODY = "{\"model\":\"Meta-Llama-3.1-70B-Instruct\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    private static ConfigurableApplicationContext gateway;
    private static int port;
    private static String key;

    @BeforeAll
    static void start() {
        gateway = Replicas.start(Map.of("server.port", "0",
                "spring.r2dbc.url", "r2dbc:h2:mem:///slow-clients?options=DB_CLOSE_DELAY=-1",
                "spring.flyway.url", "jdbc:h2:mem:slow-clients;DB_CLOSE_DELAY=-1",
                "gateway.admin.token", "slow-admin-token-0123456789abcdef",
                "gateway.data-dir", "target/test-data",
                "gateway.request.header-timeout", HEADER_TIMEOUT.toMillis() + "ms",
                "gateway.request.body-timeout", BODY_TIMEOUT.toMillis() + "ms",
                "gateway.request.send-timeout", SEND_TIMEOUT.toMillis() + "ms",
                // far shorter than the send timeout: a client that stops reading holds its stream back, not the
                // deployment, so the stream-idle timeout must not end that stream (the send timeout may)
                "gateway.resilience.stream-idle-timeout", STREAM_IDLE.toMillis() + "ms"));
        port = Integer.parseInt(gateway.getEnvironment().getProperty("local.server.port"));
        key = TestTeams.newKey(gateway.getBean(TeamService.class));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    /** One trickling connection: what it sent at once, what it trickles, and what happened to it. */
    private static final class Trickler implements Runnable {
        final String kind;
        final byte[] first;
        final byte[] trickled;
        final CountDownLatch done;
        final CountDownLatch started;
        volatile long openedNanos;
        volatile long closedNanos;
        volatile String answer = "";

        Trickler(String kind, String first, String trickled, CountDownLatch started, CountDownLatch done) {
            this.started = started;
            this.kind = kind;
            this.first = first.getBytes(StandardCharsets.ISO_8859_1);
            this.trickled = trickled.getBytes(StandardCharsets.ISO_8859_1);
            this.done = done;
        }

        @Override
        public void run() {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                openedNanos = System.nanoTime();
                socket.setSoTimeout(1000);
                OutputStream out = socket.getOutputStream();
                InputStream in = socket.getInputStream();
                out.write(first);
                out.flush();
                started.countDown();
                for (int i = 0; i < trickled.length && closedNanos == 0; i++) {
                    try {
                        RawHttp.Response response = RawHttp.read(in); // blocks up to 1 s: the pace of the trickle
                        answer = response.status() + " " + response.text();
                        closedNanos = System.nanoTime();
                    } catch (SocketTimeoutException stillOpen) {
                        try {
                            out.write(trickled[i]);
                            out.flush();
                        } catch (IOException closed) {
                            closedNanos = System.nanoTime();
                        }
                    } catch (IOException closed) {
                        closedNanos = System.nanoTime();
                    }
                }
            } catch (IOException e) {
                answer = "could not connect: " + e.getMessage();
            } finally {
                started.countDown();
                done.countDown();
            }
        }

        Duration heldFor() {
            return Duration.ofNanos(closedNanos - openedNanos);
        }
    }

    @Test
    void aClientThatStopsReadingAStreamIsLetGoAfterTheSendTimeoutAndItsStreamSettled() throws Exception {
        int tokens = moreTokensThanTheKernelBuffers();
        SimulatedDeployment deployment = answering(tokens);
        TeamService.CreatedKey created = newTeamKey("stops-reading");
        try (Socket socket = streamOpened(created.secret(), tokens)) {
            // nothing more is read until the gateway has ended the stream: its record says how
            UsageQuery.Row row = recorded(created.key().teamId());
            assertThat(row.upstreamErrors()).as("no deployment's timeout: the deployment did not hold the stream back").isZero();
            assertThat(row.cancelled()).as("cancelled when its connection was closed").isEqualTo(1);
            assertThat(row.completionTokens()).as("settled with what was streamed").isBetween(1L, tokens - 1L);
            // what the kernel held is delivered, then the connection's end — no end of the stream
            socket.setSoTimeout(30_000);
            byte[] rest = socket.getInputStream().readAllBytes();
            String tail = new String(rest, Math.max(0, rest.length - 2000), Math.min(2000, rest.length), StandardCharsets.UTF_8);
            assertThat(rest.length).as("the answer sent before the stall").isGreaterThan(10_000);
            assertThat(tail).doesNotContain("[DONE]").doesNotContain("\r\n0\r\n\r\n");
        } finally {
            deployment.behaviour(Behaviour.instant());
        }
    }

    @Test
    void aClientThatPausesReadingLongerThanTheStreamIdleTimeoutGetsItsWholeStream() throws Exception {
        int tokens = moreTokensThanTheKernelBuffers();
        SimulatedDeployment deployment = answering(tokens);
        TeamService.CreatedKey created = newTeamKey("pauses-reading");
        try (Socket socket = streamOpened(created.secret(), tokens)) {
            // the gateway's writes stall within the pause; the deployment, not asked for more, is not late
            Thread.sleep(PAUSE.toMillis());
            assertThat(sums(created.key().teamId())).as("the stream held back by the pause, not ended during it").isNull();
            socket.setSoTimeout(30_000);
            String answer = untilLastChunk(socket.getInputStream());
            assertThat(answer).as("no error event").doesNotContain("\"error\"");
            assertThat(answer).contains("data: [DONE]");
            assertThat(Pattern.compile("\"content\":\" ?w").matcher(answer).results().count()).as("every token streamed").isEqualTo(tokens);
            UsageQuery.Row row = recorded(created.key().teamId());
            assertThat(row.upstreamErrors()).isZero();
            assertThat(row.ok()).isEqualTo(1);
            assertThat(row.completionTokens()).isEqualTo(tokens);
        } finally {
            deployment.behaviour(Behaviour.instant());
        }
    }

    /**
     * A stream three times what the kernel may buffer for the connection (its largest send buffer: the third of
     * tcp_wmem, read by lines — Files.readString gets one byte of a proc file): a client that does not read stalls
     * the gateway's writes.
     */
    private static int moreTokensThanTheKernelBuffers() throws IOException {
        String[] tcpWmem = Files.readAllLines(Path.of("/proc/sys/net/ipv4/tcp_wmem")).get(0).trim().split("\\s+");
        return (int) Math.min(200_000, 3 * Long.parseLong(tcpWmem[2]) / 150);
    }

    /** The deployment, answering at once with {@code tokens} tokens (its behaviour to be reset after the test). */
    private static SimulatedDeployment answering(int tokens) {
        SimulatedDeployment deployment = gateway.getBean(LlamaSimulator.class).deployment(StandardDeployments.SERVERLESS_70B);
        deployment.behaviour(Behaviour.instant().withReply("w ".repeat(tokens).trim()));
        return deployment;
    }

    private static TeamService.CreatedKey newTeamKey(String name) {
        TeamService teams = gateway.getBean(TeamService.class);
        return teams.createTeam("test", name + "-" + UUID.randomUUID(), null, null)
                .flatMap(team -> teams.createKey("test", team.id(), "k", null)).block(Duration.ofSeconds(10));
    }

    /** A raw connection with a small receive buffer that has asked for a stream of {@code tokens} and read the answer's head. */
    private Socket streamOpened(String secret, int tokens) throws IOException {
        String body = "{\"model\":\"Meta-Llama-3.1-70B-Instruct\",\"stream\":true,\"max_tokens\":" + tokens
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port));
        socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer " + secret
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.UTF_8));
        // the answer's head, a byte at a time (a few hundred bytes of the megabytes waiting: the stall holds)
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        assertThat(head.toString()).startsWith("HTTP/1.1 200 ").containsIgnoringCase("content-type: text/event-stream");
        return socket;
    }

    /** The rest of a chunked answer, up to its last (empty) chunk: the connection itself stays open. */
    private static String untilLastChunk(InputStream in) throws IOException {
        String last = "\r\n0\r\n\r\n";
        StringBuilder read = new StringBuilder();
        byte[] buffer = new byte[65536];
        int n;
        while (!(read.length() >= last.length() && read.substring(read.length() - last.length()).equals(last)) && (n = in.read(buffer)) >= 0) {
            read.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
        }
        return read.toString();
    }

    /** The team's one recorded request, once the ledger has it (within 120 s). */
    private static UsageQuery.Row recorded(String teamId) throws InterruptedException {
        UsageQuery.Row row = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while ((row == null || row.requests() == 0) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            row = sums(teamId);
        }
        assertThat(row).as("the stream was recorded").isNotNull();
        return row;
    }

    private static UsageQuery.Row sums(String teamId) {
        gateway.getBean(UsageLedger.class).flush().block(Duration.ofSeconds(10));
        List<UsageQuery.Row> rows = gateway.getBean(UsageStore.class)
                .sums(new UsageQuery(teamId, null, null, null, null, null, List.of(UsageQuery.GroupBy.DEPLOYMENT)))
                .collectList().block(Duration.ofSeconds(10));
        return rows.isEmpty() ? null : rows.get(0);
    }

    private static long medianLatencyNanos(HttpClient client, int requests) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(BODY)).build();
        List<Long> latencies = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            long started = System.nanoTime();
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            latencies.add(System.nanoTime() - started);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        }
        latencies.sort(null);
        return latencies.get(latencies.size() / 2);
    }

    @Test
    void aPassThroughBodyThatTricklesIsAnswered408AndItsDeploymentCallCutOff() throws Exception {
        String score = "{\"input_data\":{\"input_string\":[{\"role\":\"user\",\"content\":\"Hi\"}]}}";
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Trickler trickler = new Trickler("pass-through body", "POST /deployments/llama3-8b-managed/score HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: Bearer " + key + "\r\nContent-Type: application/json\r\nContent-Length: " + (score.length() + 100)
                + "\r\n\r\n", score + " ".repeat(100), started, done);
        new Thread(trickler, "trickler").start();
        assertThat(done.await(BODY_TIMEOUT.plus(SLACK).plusSeconds(20).toSeconds(), TimeUnit.SECONDS)).as("the trickler ended").isTrue();

        // the same answer as on the LLM routes, within the body timeout: not Reactor Netty's later close without one
        assertThat(trickler.answer).startsWith("408 ").contains("\"code\":\"request_timeout\"");
        assertThat(trickler.heldFor()).isBetween(BODY_TIMEOUT.minusMillis(200), BODY_TIMEOUT.plus(SLACK));
    }

    /**
     * A request refused before its body was read (a wrong key: 401 at once) leaves a body nobody reads: the
     * connection is closed 2 s after the body timeout if the body is still arriving, not kept for as long as the
     * client trickles.
     */
    @Test
    void aBodyNobodyReadsIsCutOffSoonAfterTheBodyTimeout() throws Exception {
        Duration cutOff = BODY_TIMEOUT.plusSeconds(2);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            long opened = System.nanoTime();
            socket.setSoTimeout(1000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer wrong-key\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            assertThat(RawHttp.read(in).status()).isEqualTo(401);
            long closed = 0;
            while (closed == 0 && System.nanoTime() - opened < cutOff.plus(SLACK).plusSeconds(10).toNanos()) {
                try {
                    if (in.read() < 0) {
                        closed = System.nanoTime();
                    }
                } catch (SocketTimeoutException stillOpen) {
                    try {
                        out.write(' ');
                        out.flush();
                    } catch (IOException reset) {
                        closed = System.nanoTime();
                    }
                } catch (IOException reset) {
                    closed = System.nanoTime();
                }
            }
            assertThat(closed).as("the connection was closed").isPositive();
            assertThat(Duration.ofNanos(closed - opened)).isBetween(cutOff.minusMillis(200), cutOff.plus(SLACK));
        }
    }

    @Test
    void tricklingConnectionsAreAnswered408AndClosedWhileOthersAreServed() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        medianLatencyNanos(client, 300); // warm-up
        long before = medianLatencyNanos(client, 60);

        CountDownLatch started = new CountDownLatch(200);
        CountDownLatch done = new CountDownLatch(200);
        List<Trickler> tricklers = new ArrayList<>();
        String slowHeader = "X-Slow: " + "a".repeat(120);
        for (int i = 0; i < 100; i++) {
            tricklers.add(new Trickler("headers", "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n", slowHeader, started, done));
            tricklers.add(new Trickler("body", "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + (BODY.length() + 100) + "\r\n\r\n", BODY + " ".repeat(100), started, done));
        }
        List<Thread> threads = tricklers.stream().map(t -> new Thread(t, "trickler")).toList();
        threads.forEach(Thread::start);
        assertThat(started.await(20, TimeUnit.SECONDS)).as("every trickler connected").isTrue();
        long withTricklers = medianLatencyNanos(client, 60);

        assertThat(done.await(BODY_TIMEOUT.plus(SLACK).plusSeconds(20).toSeconds(), TimeUnit.SECONDS)).as("every trickler ended").isTrue();
        for (Trickler t : tricklers) {
            assertThat(t.closedNanos).as("a %s trickler was never closed (%s)", t.kind, t.answer).isPositive();
            Duration timeout = t.kind.equals("headers") ? HEADER_TIMEOUT : BODY_TIMEOUT;
            assertThat(t.heldFor()).as("a %s trickler held for", t.kind).isBetween(timeout.minusMillis(200), timeout.plus(SLACK));
            assertThat(t.answer).as("what a %s trickler got", t.kind).startsWith("408 ").contains("\"code\":\"request_timeout\"");
        }
        long after = medianLatencyNanos(client, 60);
        long alone = (before + after) / 2; // without tricklers: before they came and after they were gone
        System.out.printf("median latency alone %d µs (before %d, after %d), with 200 tricklers %d µs%n",
                alone / 1000, before / 1000, after / 1000, withTricklers / 1000);
        // medians of 60 requests each; 1 ms for the jitter of sub-millisecond medians
        assertThat(withTricklers).as("median latency with 200 tricklers (alone: %d µs)", alone / 1000)
                .isLessThanOrEqualTo(2 * alone + 1_000_000);
    }
}
