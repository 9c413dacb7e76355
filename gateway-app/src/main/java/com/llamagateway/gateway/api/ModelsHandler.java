package com.llamagateway.gateway.api;

import com.llamagateway.gateway.pipeline.ModelPermission;
import com.llamagateway.gateway.protocol.CallerDialect;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.routing.ModelRouter;
import com.llamagateway.gateway.security.TeamKeyAuthentication;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** {@code GET /v1/models} (OpenAI list) and {@code GET /info} (Model Inference model information). */
public final class ModelsHandler {

    private final ModelRouter router;
    private final ErrorResponses errors;
    private final Json json;
    private final long startedAt = System.currentTimeMillis() / 1000;

    public ModelsHandler(ModelRouter router, ErrorResponses errors, Json json) {
        this.router = router;
        this.errors = errors;
        this.json = json;
    }

    /** The models the caller's team may use. */
    public Mono<Void> list(ServerWebExchange exchange) {
        return TeamKeyAuthentication.teamOf(exchange).flatMap(team -> {
            ObjectNode body = json.object();
            body.put("object", "list");
            ArrayNode data = body.putArray("data");
            for (String model : router.catalog().models()) {
                if (team.mayUse(model)) {
                    data.addObject().put("id", model).put("object", "model").put("created", startedAt).put("owned_by", "Meta");
                }
            }
            return ok(body).writeTo(exchange.getResponse());
        });
    }

    /** The model is the {@code model} query parameter, the {@code azureml-model-deployment} header, or the only one. */
    public Mono<Void> info(ServerWebExchange exchange, CallerDialect caller) {
        ServerHttpRequest request = exchange.getRequest();
        return TeamKeyAuthentication.teamOf(exchange).map(team -> {
                    ModelRouter.Route route = router.route(modelParameter(request), caller.modelHint(request.getHeaders()));
                    ModelPermission.check(team, route.model());
                    ObjectNode body = json.object();
                    body.put("model_name", route.model());
                    body.put("model_type", "chat-completions");
                    body.put("model_provider_name", "Meta");
                    return ok(body);
                })
                .onErrorResume(error -> Mono.just(errors.response(caller, error, RequestIdFilter.of(exchange))))
                .flatMap(response -> response.writeTo(exchange.getResponse()));
    }

    /** The first {@code model} query parameter, {@code ""} where it has no value, null where there is none. */
    private static String modelParameter(ServerHttpRequest request) {
        List<String> values = request.getQueryParams().get("model");
        return values == null || values.isEmpty() ? null : Objects.requireNonNullElse(values.get(0), "");
    }

    private DirectResponse ok(ObjectNode body) {
        return DirectResponse.json(HttpStatus.OK, Map.of(), json.writeBytes(body));
    }
}
