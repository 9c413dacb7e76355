package com.llamagateway.gateway.safety;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The built-in {@code azure-content-safety} filter: Azure AI Content Safety's
 * {@code POST {endpoint}/contentsafety/text:analyze?api-version=…} ({@code Ocp-Apim-Subscription-Key}; request
 * {@code {text, categories, blocklistNames, haltOnBlocklistHit, outputType}}, answer {@code {categoriesAnalysis:
 * [{category, severity}], blocklistsMatch: [{blocklistName, …}]}}).
 * <ul>
 *   <li>Blocks when a category's severity reaches its threshold (per category; default 4, "medium": Azure's own
 *       default filter) or a named blocklist matches (category {@code Blocklist}); a severity above 0 but below the
 *       threshold annotates.</li>
 *   <li>Text longer than the API's 10,000 characters is analysed in pieces (split at white space where there is
 *       some), concurrently; the worst answer counts.</li>
 * </ul>
 */
public final class AzureContentSafetyFilter implements SafetyFilter {

    /** The API's bound on {@code text}, in Unicode code points. */
    static final int MAX_TEXT = 10_000;
    static final Set<String> CATEGORIES = Set.of("Hate", "SelfHarm", "Sexual", "Violence");
    static final int DEFAULT_THRESHOLD = 4;
    private static final int CONCURRENT_PIECES = 4;

    private final SafetyHttp http;
    private final URI analyze;
    private final Map<String, String> headers;
    private final List<String> categories;
    private final Map<String, Integer> thresholds;
    private final List<String> blocklistNames;
    private final Boolean haltOnBlocklistHit;

    public AzureContentSafetyFilter(SafetyHttp http, URI endpoint, String apiKey, String apiVersion, List<String> categories,
                                    Map<String, Integer> thresholds, List<String> blocklistNames, Boolean haltOnBlocklistHit) {
        if (endpoint == null || apiKey == null || apiKey.isBlank()) {
            throw new IllegalArgumentException("needs endpoint and api-key");
        }
        Map<String, Integer> byCategory = new java.util.HashMap<>();
        thresholds.forEach((category, threshold) -> {
            if (threshold == null || threshold < 0 || threshold > 7) {
                throw new IllegalArgumentException("threshold of " + category + " must be 0–7");
            }
            byCategory.put(category(category), threshold);
        });
        String base = endpoint.toString().replaceAll("/+$", "");
        this.analyze = URI.create(base + "/contentsafety/text:analyze?api-version=" + apiVersion);
        this.headers = Map.of("Ocp-Apim-Subscription-Key", apiKey);
        this.http = http;
        this.categories = categories.stream().map(AzureContentSafetyFilter::category).toList();
        this.thresholds = Map.copyOf(byCategory);
        this.blocklistNames = List.copyOf(blocklistNames);
        this.haltOnBlocklistHit = haltOnBlocklistHit;
    }

    /** The API's name of a category, however the configuration spelled it ({@code violence}, {@code self-harm}, …). */
    private static String category(String configured) {
        String plain = configured.replaceAll("[-_ ]", "");
        return CATEGORIES.stream().filter(c -> c.equalsIgnoreCase(plain)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown category '" + configured + "' (one of " + CATEGORIES + ")"));
    }

    @Override
    public Mono<Verdict> screen(Screening screening) {
        if (screening.text().isBlank()) {
            return Mono.just(Verdict.allow());
        }
        return Flux.fromIterable(pieces(screening.text(), MAX_TEXT))
                .flatMapSequential(this::analyze, CONCURRENT_PIECES)
                .collectList()
                .map(this::worst);
    }

    private Mono<Verdict> analyze(String text) {
        ObjectNode body = http.json().object();
        body.put("text", text);
        if (!categories.isEmpty()) {
            categories.forEach(body.putArray("categories")::add);
        }
        if (!blocklistNames.isEmpty()) {
            blocklistNames.forEach(body.putArray("blocklistNames")::add);
            if (haltOnBlocklistHit != null) {
                body.put("haltOnBlocklistHit", haltOnBlocklistHit);
            }
        }
        body.put("outputType", "FourSeverityLevels");
        return http.post(analyze, headers, http.json().write(body)).map(this::verdict);
    }

    /** The verdict on one {@code AnalyzeTextResult}. */
    Verdict verdict(JsonNode result) {
        JsonNode analysis = result.get("categoriesAnalysis");
        if (analysis == null || !analysis.isArray()) {
            throw new FilterFailure("Content Safety answered without categoriesAnalysis");
        }
        for (JsonNode match : result.path("blocklistsMatch")) {
            return Verdict.block("Blocklist", null, "blocklist " + match.path("blocklistName").asString("?"));
        }
        Verdict worst = Verdict.allow();
        int worstOver = -1;
        for (JsonNode entry : analysis) {
            String category = entry.path("category").asString("");
            JsonNode severityNode = entry.get("severity");
            if (severityNode == null || !severityNode.isNumber()) {
                continue;
            }
            int severity = severityNode.asInt();
            int threshold = thresholds.getOrDefault(category, DEFAULT_THRESHOLD);
            if (severity >= threshold && severity - threshold > worstOver) {
                worstOver = severity - threshold;
                worst = Verdict.block(category, severity, "severity " + severity + " reaches the threshold " + threshold);
            } else if (severity > 0 && severity < threshold && worst instanceof Verdict.Allow) {
                worst = Verdict.annotate(category, severity, "severity " + severity + " below the threshold " + threshold);
            }
        }
        return worst;
    }

    private Verdict worst(List<Verdict> verdicts) {
        Verdict worst = Verdict.allow();
        for (Verdict verdict : verdicts) {
            if (verdict instanceof Verdict.Block) {
                return verdict;
            }
            if (verdict instanceof Verdict.Annotate) {
                worst = verdict;
            }
        }
        return worst;
    }

    /** The text in pieces of at most {@code max} code points, cut at white space where the last tenth of a piece has some. */
    static List<String> pieces(String text, int max) {
        List<String> pieces = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int remaining = text.codePointCount(start, text.length());
            if (remaining <= max) {
                pieces.add(text.substring(start));
                break;
            }
            int end = text.offsetByCodePoints(start, max);
            int floor = text.offsetByCodePoints(start, max - max / 10);
            int cut = end;
            for (int i = end - 1; i > floor; i--) {
                if (Character.isWhitespace(text.charAt(i))) {
                    cut = i + 1;
                    break;
                }
            }
            pieces.add(text.substring(start, cut));
            start = cut;
        }
        return pieces;
    }
}
