package com.llamagateway.gateway.safety;

import com.llamagateway.gateway.protocol.BackendDialect;
import com.llamagateway.gateway.protocol.CanonicalRequest;
import com.llamagateway.gateway.protocol.CanonicalResponse;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.protocol.Operation;
import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.upstream.UpstreamClient;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.IntNode;
import tools.jackson.databind.node.StringNode;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The built-in {@code llama-guard} filter: asks a Llama Guard 3 deployment of the catalog (any dialect: v1,
 * azure-inference or score) to classify the prompt or the completion, with the prompt Llama Guard 3 was trained on,
 * as a text completion at temperature 0. {@code unsafe} blocks with the first violated category (e.g.
 * {@code S1}) unless every violated category is one the configuration only annotates.
 */
public final class LlamaGuardFilter implements SafetyFilter {

    private static final int MAX_ANSWER_TOKENS = 20;

    private final UpstreamClient upstream;
    private final Deployment deployment;
    private final BackendDialect dialect;
    private final List<String> codes;
    private final Set<String> annotateOnly;

    /**
     * @param codes        the categories to judge by (S1–S14; empty: all)
     * @param annotateOnly categories that annotate instead of blocking
     */
    public LlamaGuardFilter(UpstreamClient upstream, Deployment deployment, BackendDialect dialect, List<String> codes, List<String> annotateOnly) {
        List<String> chosen = codes.isEmpty() ? List.copyOf(LlamaGuardPrompt.CATEGORIES.keySet()) : List.copyOf(codes);
        for (String code : chosen) {
            if (!LlamaGuardPrompt.CATEGORIES.containsKey(code)) {
                throw new IllegalArgumentException("unknown Llama Guard category '" + code + "' (S1–S14)");
            }
        }
        this.upstream = upstream;
        this.deployment = deployment;
        this.dialect = dialect;
        this.codes = chosen;
        this.annotateOnly = Set.copyOf(annotateOnly);
    }

    @Override
    public Mono<Verdict> screen(Screening screening) {
        CanonicalRequest request = new CanonicalRequest(Operation.COMPLETION, deployment.model(), List.of(),
                StringNode.valueOf(LlamaGuardPrompt.render(screening, codes)), false, false, MAX_ANSWER_TOKENS, null, null,
                null, null, null, Map.of("temperature", IntNode.valueOf(0)), Map.of());
        return Mono.fromCallable(() -> dialect.encodeRequest(request, deployment.model(), deployment.apiVersion()))
                .flatMap(outbound -> upstream.call(deployment, outbound, screening.requestId()))
                .map(body -> dialect.decodeResponse(request, body))
                .map(this::verdict)
                .onErrorMap(GatewayError.class, e -> new FilterFailure("Llama Guard deployment " + deployment.name() + ": " + e.code()));
    }

    private Verdict verdict(CanonicalResponse response) {
        if (response.choices().isEmpty()) {
            throw new FilterFailure("Llama Guard deployment " + deployment.name() + " answered no choice");
        }
        LlamaGuardPrompt.Assessment assessment = LlamaGuardPrompt.parse(response.choices().get(0).outputText());
        if (assessment.safe()) {
            return Verdict.allow();
        }
        List<String> codes = assessment.categories();
        if (codes.isEmpty()) {
            return Verdict.block("unsafe", null, "Llama Guard: unsafe");
        }
        String reason = "Llama Guard: " + String.join(", ", codes.stream()
                .map(code -> code + " " + LlamaGuardPrompt.CATEGORIES.getOrDefault(code, "?").replaceAll("\\.$", "")).toList());
        return codes.stream().filter(code -> !annotateOnly.contains(code)).findFirst()
                .map(code -> Verdict.block(code, null, reason))
                .orElseGet(() -> Verdict.annotate(codes.get(0), null, reason));
    }
}
