package com.llamagateway.gateway.api;

import com.llamagateway.gateway.protocol.CallerDialect;
import com.llamagateway.gateway.protocol.Operation;
import com.llamagateway.gateway.security.TeamKeyGate;
import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

import java.util.Map;
import java.util.function.Function;

/**
 * The LLM routes (DESIGN.md, "Client routes"), served by the first filter after {@link RequestIdFilter}: a request
 * whose path and method are one of them crosses {@link TeamKeyGate} — Spring Security's firewall, its default
 * response headers, the team key, exactly what the client security chain would do — and goes straight to its
 * handler. Spring Security's filter chain proxy (the chains matched in turn, the client chain's filters), the rest of
 * the application's filters and WebFlux's dispatcher (its handler mappings asked in turn, a handler adapter, a result
 * handler) are not crossed: ~50 µs of CPU for a fixed answer (bench/results/2026-12-06-floor-in-gateway-layers.md);
 * 12 KB less heap and ~10 % less CPU a completion (2026-12-06-ab-client-routes.md). The exchange, the server
 * observation ({@code http.server.requests}, with the route as its {@code uri}, and the server span when tracing is
 * on) and the fallback error handler are WebFlux's as before.
 * <p>
 * Anything else — pass-through, another method on an LLM route (405 after the key check), the admin API, health —
 * goes on down the chain. Also what the error paths need to know of the client routes.
 */
public final class ClientRoutes implements WebFilter, Ordered {

    /** The LLM routes and their methods: another method on one of them is 405, not 404 ({@link FallbackErrorHandler}). */
    static final Map<String, HttpMethod> METHODS = Map.of("/v1/chat/completions", HttpMethod.POST, "/v1/completions", HttpMethod.POST,
            "/v1/models", HttpMethod.GET, "/chat/completions", HttpMethod.POST, "/completions", HttpMethod.POST,
            "/models/chat/completions", HttpMethod.POST, "/models/completions", HttpMethod.POST, "/info", HttpMethod.GET,
            "/models/info", HttpMethod.GET);

    /** Pass-through to a deployment's own API (the passthrough package); Azure's error shape, as the deployments use. */
    static final String PASS_THROUGH = "/deployments/";

    private final Map<String, Function<ServerWebExchange, Mono<Void>>> handlers;
    private final TeamKeyGate gate;

    public ClientRoutes(CompletionHandler completions, ModelsHandler models, CallerDialect v1, CallerDialect azure, TeamKeyGate gate) {
        Function<ServerWebExchange, Mono<Void>> azureChat = exchange -> completions.handle(exchange, azure, Operation.CHAT);
        Function<ServerWebExchange, Mono<Void>> azureCompletion = exchange -> completions.handle(exchange, azure, Operation.COMPLETION);
        Function<ServerWebExchange, Mono<Void>> azureInfo = exchange -> models.info(exchange, azure);
        this.handlers = Map.of(
                "/v1/chat/completions", exchange -> completions.handle(exchange, v1, Operation.CHAT),
                "/v1/completions", exchange -> completions.handle(exchange, v1, Operation.COMPLETION),
                "/v1/models", models::list,
                "/chat/completions", azureChat, "/models/chat/completions", azureChat,
                "/completions", azureCompletion, "/models/completions", azureCompletion,
                "/info", azureInfo, "/models/info", azureInfo);
        if (!handlers.keySet().equals(METHODS.keySet())) {
            throw new IllegalStateException("Every LLM route needs a method and a handler: " + handlers.keySet() + " / "
                    + METHODS.keySet());
        }
        this.gate = gate;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        String path = request.getPath().pathWithinApplication().value();
        HttpMethod method = METHODS.get(path);
        if (method == null || !method.equals(request.getMethod())) {
            return chain.filter(exchange);
        }
        ServerRequestObservationContext.findCurrent(exchange.getAttributes()).ifPresent(observed -> observed.setPathPattern(path));
        return gate.admit(exchange, handlers.get(path));
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE + 1; // right after RequestIdFilter
    }

    /**
     * The Azure AI Model Inference paths: {@code /chat/completions}, {@code /completions}, {@code /info},
     * {@code /models/…}; and pass-through, {@code /deployments/…}.
     */
    static boolean azure(String path) {
        return path.equals("/chat/completions") || path.equals("/completions") || path.equals("/info")
                || path.equals("/models") || path.startsWith("/models/") || path.startsWith(PASS_THROUGH);
    }

    /** The deployment a pass-through path names, or null when it names none. */
    static String passThroughDeployment(String path) {
        if (!path.startsWith(PASS_THROUGH)) {
            return null;
        }
        int end = path.indexOf('/', PASS_THROUGH.length());
        String name = end < 0 ? path.substring(PASS_THROUGH.length()) : path.substring(PASS_THROUGH.length(), end);
        return name.isEmpty() ? null : name;
    }
}
