package com.llamagateway.gateway.safety;

import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The built-in {@code webhook} filter: POSTs the screening to a team's own checker and reads its decision
 * (contract in docs/content-safety.md):
 * <pre>
 * → {"version": 1, "direction": "input"|"output", "requestId", "team", "model",
 *    "messages": [{"role", "text"}], "preceding": "…", "text": "…"}
 * ← {"action": "allow"} | {"action": "block"|"annotate", "category": "…", "severity": 0–7?, "reason": "…"?}
 * </pre>
 * With a {@code secret}, the body is signed: {@code X-Gateway-Signature: sha256=<hex HMAC-SHA256 of the body>}.
 * Configured {@code headers} (e.g. an {@code Authorization}) are sent with every call. Any other answer — a
 * non-2xx status, an unknown action, a block without category — is a failure of the filter.
 */
public final class WebhookFilter implements SafetyFilter {

    public static final String SIGNATURE_HEADER = "X-Gateway-Signature";

    private final SafetyHttp http;
    private final URI url;
    private final Map<String, String> headers;
    private final byte[] secret;

    public WebhookFilter(SafetyHttp http, URI url, Map<String, String> headers, String secret) {
        if (url == null) {
            throw new IllegalArgumentException("needs url");
        }
        this.http = http;
        this.url = url;
        this.headers = Map.copyOf(headers);
        this.secret = secret == null || secret.isEmpty() ? null : secret.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Mono<Verdict> screen(Screening screening) {
        String body = http.json().write(request(screening));
        Map<String, String> all = new LinkedHashMap<>(headers);
        if (secret != null) {
            all.put(SIGNATURE_HEADER, "sha256=" + sign(secret, body));
        }
        return http.post(url, all, body).map(WebhookFilter::verdict);
    }

    private ObjectNode request(Screening screening) {
        ObjectNode body = http.json().object();
        body.put("version", 1);
        body.put("direction", screening.direction().label());
        body.put("requestId", screening.requestId());
        body.put("team", screening.teamId());
        body.put("model", screening.model());
        ArrayNode messages = body.putArray("messages");
        for (Screening.Message message : screening.prompt()) {
            messages.addObject().put("role", message.role()).put("text", message.text());
        }
        body.put("preceding", screening.preceding());
        body.put("text", screening.text());
        return body;
    }

    static Verdict verdict(JsonNode answer) {
        String action = answer.path("action").asString("");
        String category = answer.path("category").isString() ? answer.path("category").stringValue() : null;
        Integer severity = answer.path("severity").isInt() ? answer.path("severity").asInt() : null;
        String reason = answer.path("reason").isString() ? answer.path("reason").stringValue() : null;
        switch (action) {
            case "allow":
                return Verdict.allow();
            case "block":
            case "annotate":
                if (category == null || category.isBlank()) {
                    throw new FilterFailure("the webhook's " + action + " names no category");
                }
                return action.equals("block") ? Verdict.block(category, severity, reason) : Verdict.annotate(category, severity, reason);
            default:
                throw new FilterFailure("the webhook answered an unknown action");
        }
    }

    /** Hex HMAC-SHA256 of the body: what the checker recomputes to know the call came from the gateway. */
    public static String sign(byte[] secret, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
