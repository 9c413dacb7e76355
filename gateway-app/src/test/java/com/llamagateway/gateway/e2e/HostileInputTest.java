package com.llamagateway.gateway.e2e;

import com.llamagateway.gateway.support.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A corpus of malformed requests, generated from tables: wrong types per field, non-finite and overflowing numbers,
 * invalid UTF-8, JSON that is not one clean document, path tricks, methods, oversized request lines and headers,
 * control characters — in both client dialects and on the admin API. Sent byte for byte over a socket. Every answer
 * must carry the expected status and code in the shape of its path (v1, azure-inference, problem details), an
 * {@code x-request-id}, and nothing that names Java; none may be a 5xx.
 */
class HostileInputTest extends GatewayIntegrationTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern JAVA_NAME = Pattern.compile("(?i)exception|jackson|\\b(java|javax|tools|com|org|io|reactor|netty)\\.[a-z]+\\.");
    private static final String V1_CHAT = "/v1/chat/completions";
    private static final String V1_COMPLETIONS = "/v1/completions";
    private static final String AZURE_CHAT = "/chat/completions?api-version=2024-05-01-preview";
    private static final String AZURE_COMPLETIONS = "/completions?api-version=2024-05-01-preview";
    private static final String TEAMS = "/admin/v1/teams";

    /** The team the admin cases act on (made once); cases name it as {@value #TEAM}. */
    private static final String TEAM = "{team}";
    private static volatile String teamId;
    private static final AtomicInteger ran = new AtomicInteger();
    private static final List<Integer> statuses = new ArrayList<>();
    private static final ConcurrentHashMap<String, Boolean> seen = new ConcurrentHashMap<>();

    /**
     * One request and what must come back.
     *
     * @param head   request line and headers (Host, Connection and Content-Length are added)
     * @param body   the body, or null for none
     * @param status the status it must get
     * @param code   the error code it must carry
     */
    record Case(String name, String head, byte[] body, int status, String code) {
        @Override
        public String toString() {
            return name;
        }
    }

    // ------------------------------------------------------------------ the tables

    /** Field → values of the wrong type or out of range, each with the code it gets (chat bodies, both dialects). */
    private static final String[][] CHAT_FIELDS = {
            // field, value, code, param
            {"model", "5", "invalid_type", "model"}, {"model", "true", "invalid_type", "model"}, {"model", "[]", "invalid_type", "model"},
            {"model", "{}", "invalid_type", "model"},
            {"messages", "\"hi\"", "invalid_type", "messages"}, {"messages", "5", "invalid_type", "messages"},
            {"messages", "{}", "invalid_type", "messages"}, {"messages", "[]", "invalid_value", "messages"},
            {"messages", "[null]", "invalid_type", "messages[0]"}, {"messages", "[\"hi\"]", "invalid_type", "messages[0]"},
            {"messages", "[{\"role\":5,\"content\":\"hi\"}]", "invalid_value", "messages[0].role"},
            {"messages", "[{\"role\":\"king\",\"content\":\"hi\"}]", "invalid_value", "messages[0].role"},
            {"messages", "[{\"content\":\"hi\"}]", "missing_required_parameter", "messages[0].role"},
            {"messages", "[{\"role\":\"user\",\"content\":5}]", "invalid_type", "messages[0].content"},
            {"messages", "[{\"role\":\"user\",\"content\":{}}]", "invalid_type", "messages[0].content"},
            {"messages", "[{\"role\":\"user\",\"content\":[5]}]", "invalid_type", "messages[0].content[0]"},
            {"messages", "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":5}]}]", "invalid_type", "messages[0].content[0].text"},
            {"messages", "[{\"role\":\"tool\",\"content\":\"x\"}]", "missing_required_parameter", "messages[0].tool_call_id"},
            {"messages", "[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[null]}]", "invalid_type", "messages[0].tool_calls[0]"},
            {"messages", "[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[\"x\"]}]", "invalid_type", "messages[0].tool_calls[0]"},
            {"messages", "[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":{}}]", "invalid_type", "messages[0].tool_calls"},
            {"messages", "[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{}]}]", "missing_required_parameter", "messages[0].tool_calls[0].function"},
            {"messages", "[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"function\":\"f\"}]}]", "invalid_type", "messages[0].tool_calls[0].function"},
            {"messages", "[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"function\":{\"name\":5}}]}]", "invalid_type", "messages[0].tool_calls[0].function.name"},
            {"messages", "[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"function\":{\"arguments\":\"{}\"}}]}]", "missing_required_parameter", "messages[0].tool_calls[0].function.name"},
            {"messages", "[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":{}}}]}]", "invalid_type", "messages[0].tool_calls[0].function.arguments"},
            {"messages", "[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"type\":\"shell\",\"function\":{\"name\":\"f\"}}]}]", "invalid_value", "messages[0].tool_calls[0].type"},
            {"messages", "[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":7,\"function\":{\"name\":\"f\"}}]}]", "invalid_type", "messages[0].tool_calls[0].id"},
            {"stream", "\"yes\"", "invalid_type", "stream"}, {"stream", "1", "invalid_type", "stream"},
            {"max_tokens", "\"ten\"", "invalid_type", "max_tokens"}, {"max_tokens", "1.5", "invalid_type", "max_tokens"},
            {"max_tokens", "-1", "invalid_value", "max_tokens"}, {"max_tokens", "1e999", "invalid_type", "max_tokens"},
            {"max_tokens", "99999999999999999999999", "invalid_type", "max_tokens"}, {"max_tokens", "[]", "invalid_type", "max_tokens"},
            {"temperature", "\"hot\"", "invalid_type", "temperature"}, {"temperature", "true", "invalid_type", "temperature"},
            {"temperature", "[]", "invalid_type", "temperature"},
            {"top_p", "\"x\"", "invalid_type", "top_p"}, {"presence_penalty", "{}", "invalid_type", "presence_penalty"},
            {"frequency_penalty", "false", "invalid_type", "frequency_penalty"},
            {"seed", "1.5", "invalid_type", "seed"}, {"seed", "\"x\"", "invalid_type", "seed"},
            {"stop", "5", "invalid_type", "stop"}, {"stop", "[1]", "invalid_type", "stop"}, {"stop", "{}", "invalid_type", "stop"},
            {"tools", "\"x\"", "invalid_type", "tools"}, {"tools", "{}", "invalid_type", "tools"}, {"tools", "[null]", "invalid_type", "tools[0]"},
            {"tools", "[\"x\"]", "invalid_type", "tools[0]"}, {"tools", "[{\"type\":\"function\",\"function\":\"f\"}]", "invalid_type", "tools[0]"},
            {"tools", "[{\"type\":\"function\",\"function\":{\"name\":5}}]", "invalid_type", "tools[0].function.name"},
            {"tool_choice", "5", "invalid_type", "tool_choice"}, {"tool_choice", "[]", "invalid_type", "tool_choice"},
            {"response_format", "5", "invalid_type", "response_format"},
    };

    /** The same for text completions. */
    private static final String[][] COMPLETION_FIELDS = {
            {"prompt", "5", "invalid_type", "prompt"}, {"prompt", "{}", "invalid_type", "prompt"}, {"prompt", "[]", "invalid_type", "prompt"},
            {"prompt", "[{}]", "invalid_type", "prompt"}, {"prompt", "null", "missing_required_parameter", "prompt"},
            {"max_tokens", "\"x\"", "invalid_type", "max_tokens"}, {"temperature", "1e999", "invalid_value", "temperature"},
            {"stop", "[null]", "invalid_type", "stop"},
    };

    private static final String[] FLOAT_PARAMETERS = {"temperature", "top_p", "presence_penalty", "frequency_penalty"};
    private static final String[] NON_FINITE = {"1e999", "-1e999", "1E400", "-2.5e+308"};

    /** Byte sequences that are not UTF-8 (RFC 3629), each put inside a message's text. */
    private static final byte[][] INVALID_UTF8 = {
            {(byte) 0xC0, (byte) 0xAF},                           // overlong '/'
            {(byte) 0xE0, (byte) 0x80, (byte) 0xAF},              // overlong '/', three bytes
            {(byte) 0xF0, (byte) 0x80, (byte) 0x80, (byte) 0xAF}, // overlong '/', four bytes
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80},              // an encoded surrogate (CESU-8)
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // above U+10FFFF
            {(byte) 0x80},                                        // a lone continuation byte
            {(byte) 0xE2, (byte) 0x82},                           // a truncated sequence
            {(byte) 0xFF},                                        // never valid
            {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, // five bytes
            {(byte) 0xC3, (byte) 0x28},                           // a lead byte without its continuation
    };

    /** Bodies that are not exactly one JSON object, with their code. */
    private static final String[][] NOT_ONE_DOCUMENT = {
            {"trailing document", "{\"model\":\"M\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}{\"model\":\"M\"}", "invalid_json"},
            {"trailing garbage", "{\"model\":\"M\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} x", "invalid_json"},
            {"duplicate key", "{\"model\":\"M\",\"model\":\"other\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "invalid_json"},
            {"duplicate nested key", "{\"model\":\"M\",\"messages\":[{\"role\":\"user\",\"role\":\"system\",\"content\":\"hi\"}]}", "invalid_json"},
            {"raw control character", "{\"model\":\"M\",\"messages\":[{\"role\":\"user\",\"content\":\"h\u0001i\"}]}", "invalid_json"},
            {"raw NUL", "{\"model\":\"M\",\"messages\":[{\"role\":\"user\",\"content\":\"h\u0000i\"}]}", "invalid_json"},
            {"truncated", "{\"model\":\"M\",\"messages\":[{\"role\":\"user\",\"content\":\"hi", "invalid_json"},
            {"NaN literal", "{\"model\":\"M\",\"temperature\":NaN,\"messages\":[]}", "invalid_json"},
            {"Infinity literal", "{\"model\":\"M\",\"temperature\":Infinity,\"messages\":[]}", "invalid_json"},
            {"single quotes", "{'model':'M'}", "invalid_json"},
            {"comment", "{/* x */\"model\":\"M\"}", "invalid_json"},
            {"top-level array", "[]", "invalid_type"},
            {"top-level number", "5", "invalid_type"},
            {"top-level string", "\"x\"", "invalid_type"},
            {"top-level null", "null", "invalid_type"},
            {"overlong number", "{\"model\":\"M\",\"seed\":" + "9".repeat(200) + ",\"messages\":[]}", "invalid_json"},
            {"over-deep", "{\"model\":\"M\",\"user\":" + "[".repeat(80) + "]".repeat(80) + "}", "invalid_json"},
            {"bad escape", "{\"model\":\"M\\q\"}", "invalid_json"},
            {"empty", "", "invalid_json"},
            {"white space only", "  \n ", "invalid_json"},
    };

    /** Paths Spring Security's firewall refuses (GET). */
    private static final String[] PATH_TRICKS = {"//v1/models", "/v1//models", "/v1/models;x=1", "/v1;x=1/models", "/v1%2Fmodels",
            "/v1/models%00", "/v1/models%25", "/v1/./models", "/v1/../v1/models", "/v1/models%5C", "/v1/%2e%2e/admin/v1/teams",
            "/chat/completions;jsessionid=1", "/chat//completions", "/models/%2e%2e/info", "/admin/v1/teams;x=1", "/admin/v1/./teams",
            "/admin/v1//teams"};

    /** URIs Netty decodes but that are not URIs (Spring cannot build the request). */
    private static final String[] NOT_URIS = {"/chat/completions?api-version=%zz%", "/v1/models?a=%", "/v1/models?a=|", "/v1/models?a={b}",
            "/info?x=^", "/admin/v1/teams?x=%G1", "/v1/mod els"};

    static Stream<Case> corpus() {
        List<Case> cases = new ArrayList<>();
        String chatBase = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
        for (String path : List.of(V1_CHAT, AZURE_CHAT)) {
            for (String[] row : CHAT_FIELDS) {
                String body = row[0].equals("model") ? "{\"model\":" + row[1] + "," + chatBase + "}"
                        : row[0].equals("messages") ? "{\"model\":\"" + MODEL_V1 + "\",\"messages\":" + row[1] + "}"
                        : "{\"model\":\"" + MODEL_V1 + "\"," + chatBase + ",\"" + row[0] + "\":" + row[1] + "}";
                cases.add(client(path, row[0] + "=" + row[1], body.getBytes(StandardCharsets.UTF_8), 400, row[2]));
            }
            for (String parameter : FLOAT_PARAMETERS) {
                for (String value : NON_FINITE) {
                    String body = "{\"model\":\"" + MODEL_V1 + "\"," + chatBase + ",\"" + parameter + "\":" + value + "}";
                    cases.add(client(path, parameter + "=" + value, body.getBytes(StandardCharsets.UTF_8), 400, "invalid_value"));
                }
            }
        }
        for (String path : List.of(V1_COMPLETIONS, AZURE_COMPLETIONS)) {
            for (String[] row : COMPLETION_FIELDS) {
                String body = row[0].equals("prompt") ? "{\"model\":\"" + MODEL_V1 + "\",\"prompt\":" + row[1] + "}"
                        : "{\"model\":\"" + MODEL_V1 + "\",\"prompt\":\"hi\",\"" + row[0] + "\":" + row[1] + "}";
                cases.add(client(path, row[0] + "=" + row[1], body.getBytes(StandardCharsets.UTF_8), 400, row[2]));
            }
        }
        for (String path : List.of(V1_CHAT, AZURE_CHAT, V1_COMPLETIONS, AZURE_COMPLETIONS)) {
            boolean chat = path.contains("chat");
            for (byte[] bad : INVALID_UTF8) {
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                body.writeBytes(("{\"model\":\"" + MODEL_V1 + "\"," + (chat ? "\"messages\":[{\"role\":\"user\",\"content\":\"a" : "\"prompt\":\"a"))
                        .getBytes(StandardCharsets.UTF_8));
                body.writeBytes(bad);
                body.writeBytes(("b\"" + (chat ? "}]" : "") + "}").getBytes(StandardCharsets.UTF_8));
                cases.add(client(path, "invalid UTF-8 " + hex(bad), body.toByteArray(), 400, "invalid_utf8"));
            }
            for (String[] row : NOT_ONE_DOCUMENT) {
                cases.add(client(path, row[0], row[1].replace("\"M\"", "\"" + MODEL_V1 + "\"").getBytes(StandardCharsets.UTF_8), 400, row[2]));
            }
        }
        for (String path : PATH_TRICKS) {
            cases.add(new Case("GET " + path, "GET " + path + " HTTP/1.1" + auth(path), null, 400, "invalid_request"));
        }
        for (String target : NOT_URIS) {
            cases.add(new Case("GET " + target, "GET " + target + " HTTP/1.1" + auth(target), null, 400, "invalid_request"));
        }
        for (String method : List.of("TRACE", "PROPFIND", "FOO", "TRACK")) {
            for (String path : List.of(V1_CHAT, AZURE_CHAT, TEAMS, "/nowhere")) {
                cases.add(new Case(method + " " + path, method + " " + path + " HTTP/1.1" + auth(path), null, 405, "method_not_allowed"));
            }
        }
        for (String path : List.of(V1_CHAT, AZURE_CHAT)) {
            cases.add(new Case("PUT " + path, "PUT " + path + " HTTP/1.1" + auth(path) + "\r\nContent-Type: application/json",
                    "{}".getBytes(StandardCharsets.UTF_8), 405, "method_not_allowed"));
            cases.add(new Case("request line over the limit on " + path, "GET " + path + "&x=" + "a".repeat(5000) + " HTTP/1.1", null,
                    414, "uri_too_long"));
            cases.add(new Case("a header over the limit on " + path, "GET " + path + " HTTP/1.1\r\nX-Big: " + "a".repeat(20_000), null,
                    431, "headers_too_large"));
            cases.add(new Case("headers over the limit together on " + path, "GET " + path + " HTTP/1.1"
                    + "\r\nX-Part: ".repeat(1) + String.join("\r\nX-Part: ", java.util.Collections.nCopies(400, "a".repeat(60))), null,
                    431, "headers_too_large"));
            cases.add(new Case("a control character in a header on " + path, "GET " + path + " HTTP/1.1\r\nX-Evil: a\u0001b", null,
                    400, "invalid_request"));
            cases.add(new Case("a header without a colon on " + path, "GET " + path + " HTTP/1.1\r\nthis is not a header", null,
                    400, "invalid_request"));
            cases.add(new Case("an XML body on " + path, "POST " + path + " HTTP/1.1" + auth(path) + "\r\nContent-Type: text/xml",
                    "<x/>".getBytes(StandardCharsets.UTF_8), 400, "invalid_json"));
            cases.add(new Case("no key on " + path, "POST " + path + " HTTP/1.1\r\nContent-Type: application/json",
                    "{}".getBytes(StandardCharsets.UTF_8), 401, "invalid_api_key"));
            cases.add(new Case("a key with a control character on " + path, "POST " + path + " HTTP/1.1\r\nAuthorization: Bearer llgw_\u007f"
                    + "\r\nContent-Type: application/json", "{}".getBytes(StandardCharsets.UTF_8), 400, "invalid_request"));
            // the byte 0x85 passes Netty's header checks (obs-text); as U+0085 (a C1 control) Spring Security's firewall refuses it
            cases.add(new Case("a key with a C1 control character on " + path, "POST " + path + " HTTP/1.1\r\nAuthorization: Bearer llgw_\u0085"
                    + "\r\nContent-Type: application/json", "{}".getBytes(StandardCharsets.UTF_8), 400, "invalid_request"));
        }
        cases.add(new Case("an HTTP/2 preface on an HTTP/1.1 port", "PRI * HTTP/2.0\r\n\r\nSM", null, 400, "invalid_request"));
        cases.add(new Case("not HTTP at all", "HELLO", null, 400, "invalid_request"));
        admin(cases);
        return cases.stream();
    }

    private static void admin(List<Case> cases) {
        String[][] teamBodies = {
                {"a NUL in the description", "{\"name\":\"hostile-a\",\"description\":\"a\\u0000b\"}", "description"},
                {"a control character in the description", "{\"name\":\"hostile-b\",\"description\":\"a\\u001bb\"}", "description"},
                {"a lone surrogate in the description", "{\"name\":\"hostile-c\",\"description\":\"a\\ud800b\"}", "description"},
                {"a control character in the name", "{\"name\":\"hostile\\u0007d\"}", "name"},
                {"a number for the name", "{\"name\":5}", "name"},
                {"no name", "{\"description\":\"x\"}", "name"},
                {"a number for the description", "{\"name\":\"hostile-e\",\"description\":5}", "description"},
                {"models not a list", "{\"name\":\"hostile-f\",\"models\":\"all\"}", "models"},
                {"a number in models", "{\"name\":\"hostile-g\",\"models\":[5]}", "models[0]"},
                {"a description over 1000 characters", "{\"name\":\"hostile-h\",\"description\":\"" + "x".repeat(1001) + "\"}", "description"},
        };
        for (String[] row : teamBodies) {
            cases.add(adminCase("POST " + TEAMS + ": " + row[0], "POST " + TEAMS, row[1], 400, "invalid_field"));
        }
        for (String body : List.of("[]", "5", "\"x\"")) {
            cases.add(adminCase("POST " + TEAMS + " with body " + body, "POST " + TEAMS, body, 400, "invalid_field"));
        }
        for (String body : List.of("{\"name\":", "{\"name\":\"x\"}{\"name\":\"y\"}", "{'name':'x'}", "{\"name\":\"x\",\"name\":\"y\"}", "")) {
            cases.add(adminCase("POST " + TEAMS + " with malformed body " + body, "POST " + TEAMS, body, 400, "invalid_body"));
        }
        for (byte[] bad : INVALID_UTF8) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.writeBytes("{\"name\":\"a".getBytes(StandardCharsets.UTF_8));
            body.writeBytes(bad);
            body.writeBytes("b\"}".getBytes(StandardCharsets.UTF_8));
            cases.add(new Case("POST " + TEAMS + ": invalid UTF-8 " + hex(bad), "POST " + TEAMS + " HTTP/1.1\r\nAuthorization: Bearer "
                    + ADMIN_TOKEN + "\r\nContent-Type: application/json", body.toByteArray(), 400, "invalid_body"));
        }
        String keys = TEAMS + "/" + TEAM + "/keys";
        for (String expires : List.of("+1000000000-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "+999999999-12-31T23:59:59.999999999Z",
                "2020-01-01T00:00:00Z", "-0001-01-01T00:00:00Z", "tomorrow", "2027-13-01T00:00:00Z", "2027-01-01")) {
            cases.add(adminCase("POST keys expiring " + expires, "POST " + keys, "{\"expiresAt\":\"" + expires + "\"}", 400, "invalid_field"));
        }
        cases.add(adminCase("POST keys expiring at a number", "POST " + keys, "{\"expiresAt\":5}", 400, "invalid_field"));
        cases.add(adminCase("POST keys named with a NUL", "POST " + keys, "{\"name\":\"k\\u0000\"}", 400, "invalid_field"));
        String quota = TEAMS + "/" + TEAM + "/quotas/" + MODEL_V1;
        for (String value : List.of("1e999", "-1", "0", "1.5", "\"100\"", "true", "50000001", "9223372036854775808", "[]")) {
            cases.add(adminCase("PUT team quota tokensPerMinute=" + value, "PUT " + quota, "{\"tokensPerMinute\":" + value + "}", 400, "invalid_field"));
            cases.add(adminCase("PUT deployment limits requestsPerMinute=" + value, "PUT /admin/v1/deployments/" + DEPLOYMENT_V1 + "/limits",
                    "{\"tokensPerMinute\":1000,\"requestsPerMinute\":" + value + "}", 400, "invalid_field"));
        }
        cases.add(adminCase("PATCH a team that does not exist", "PATCH " + TEAMS + "/no-such-team", "{\"name\":\"x\"}", 404, "team_not_found"));
        cases.add(new Case("admin without a token", "GET " + TEAMS + " HTTP/1.1", null, 401, "unauthorized"));
        cases.add(new Case("admin with a wrong token", "GET " + TEAMS + " HTTP/1.1\r\nAuthorization: Bearer wrong", null, 401, "unauthorized"));
    }

    private static Case client(String path, String what, byte[] body, int status, String code) {
        return new Case("POST " + path.replaceAll("\\?.*", "") + ": " + what, "POST " + path + " HTTP/1.1" + auth(path)
                + "\r\nContent-Type: application/json", body, status, code);
    }

    private static Case adminCase(String name, String requestLine, String body, int status, String code) {
        return new Case(name, requestLine + " HTTP/1.1\r\nAuthorization: Bearer " + ADMIN_TOKEN + "\r\nContent-Type: application/json",
                body.getBytes(StandardCharsets.UTF_8), status, code);
    }

    /** The credentials a path needs, so that the case reaches what it tests (filled in when it is sent). */
    private static String auth(String path) {
        return path.contains("admin") ? "\r\nAuthorization: Bearer " + ADMIN_TOKEN : "\r\nAuthorization: Bearer {key}";
    }

    private static String hex(byte[] bytes) {
        StringBuilder text = new StringBuilder();
        for (byte b : bytes) {
            text.append(String.format("%02X", b & 0xFF));
        }
        return text.toString();
    }

    // ------------------------------------------------------------------ the checks

    @BeforeEach
    void aTeamToActOn() {
        if (teamId == null) {
            teamId = JSON.readTree(anonymousHttp().post().uri(TEAMS).header("Authorization", "Bearer " + ADMIN_TOKEN)
                    .header("Content-Type", "application/json").bodyValue("{\"name\":\"hostile-input-target\"}").exchange()
                    .expectStatus().isCreated().expectBody().returnResult().getResponseBodyContent()).get("id").asString();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void everyRefusalIsAClearErrorInTheShapeOfItsPath(Case c) throws Exception {
        assertThat(seen.putIfAbsent(c.name(), true)).as("case names are unique").isNull();
        String head = c.head().replace("{key}", teamKey()).replace(TEAM, teamId);
        RawHttp.Response response = RawHttp.exchange(port, head, c.body());
        synchronized (statuses) {
            statuses.add(response.status());
        }
        ran.incrementAndGet();
        String text = response.text();
        assertThat(response.status()).as("status of %s: %s", c.name(), text).isEqualTo(c.status());
        assertThat(response.header("x-request-id")).as("x-request-id").isNotBlank();
        assertThat(JAVA_NAME.matcher(text).find()).as("a Java name in %s", text).isFalse();
        assertThat(simulator.deployment(DEPLOYMENT_V1).stats().requests()).as("requests that reached the deployment").isZero();
        String[] requestLine = head.split("[ \r]", 3);
        String path = requestLine.length > 1 ? requestLine[1] : "";
        JsonNode body = JSON.readTree(text);
        // a request line that cannot be read has no path: its error takes the v1 shape
        String shape = c.status() == 414 || !path.startsWith("/") ? "v1" : shapeOf(path);
        switch (shape) {
            case "problem" -> {
                assertThat(response.header("content-type")).startsWith("application/problem+json");
                assertThat(body.get("status").asInt()).isEqualTo(c.status());
                assertThat(body.get("title").asString()).isNotBlank();
                assertThat(body.get("detail").asString()).isNotBlank();
                assertThat(body.get("code").asString()).isEqualTo(c.code());
            }
            case "azure" -> {
                assertThat(response.header("content-type")).startsWith("application/json");
                assertThat(body.get("error").get("code").asString()).isEqualTo(c.code());
                assertThat(body.get("error").get("status").asInt()).isEqualTo(c.status());
                assertThat(body.get("error").get("message").asString()).isNotBlank();
                assertThat(response.header("x-ms-error-code")).isEqualTo(c.code());
            }
            default -> {
                assertThat(response.header("content-type")).startsWith("application/json");
                JsonNode error = body.get("error");
                assertThat(error.get("code").asString()).isEqualTo(c.code());
                assertThat(error.get("message").asString()).isNotBlank();
                assertThat(error.get("type").asString()).isNotBlank();
                assertThat(error.has("param")).isTrue();
            }
        }
    }

    /** The shape a path's errors take, by the contract (docs/api.md). */
    private static String shapeOf(String target) {
        String path = target.replaceAll("[?#].*", "");
        if (path.startsWith("/admin/")) {
            return "problem";
        }
        boolean azure = path.equals("/chat/completions") || path.equals("/completions") || path.equals("/info") || path.startsWith("/models/");
        return azure ? "azure" : "v1";
    }

    @Test
    void theCorpusIsLargeEnough() {
        assertThat(corpus().count()).isGreaterThanOrEqualTo(200);
    }

    @AfterAll
    static void noneWasA5xx() {
        synchronized (statuses) {
            assertThat(statuses).allMatch(status -> status < 500);
        }
    }
}
