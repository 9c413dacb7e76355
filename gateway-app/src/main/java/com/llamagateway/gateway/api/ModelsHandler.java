package com.llamagateway.gateway.api;

import com.llamagateway.gateway.pipeline.ModelPermission;
import com.llamagateway.gateway.protocol.CallerDialect;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.routing.ModelRouter;
import com.llamagateway.gateway.security.TeamKeyAuthentication;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

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
    public Mono<ServerResponse> list(ServerRequest request) {
        return TeamKeyAuthentication.teamOf(request.exchange()).flatMap(team -> {
            ObjectNode body = json.object();
            body.put("object", "list");
            ArrayNode data = body.putArray("data");
            for (String model : router.catalog().models()) {
                if (team.mayUse(model)) {
                    data.addObject().put("id", model).put("object", "model").put("created", startedAt).put("owned_by", "Meta");
                }
            }
            return ok(body);
        });
    }

    /** The model is the {@code model} query parameter, the {@code azureml-model-deployment} header, or the only one. */
    public Mono<ServerResponse> info(ServerRequest request, CallerDialect caller) {
        return TeamKeyAuthentication.teamOf(request.exchange()).map(team -> {
                    ModelRouter.Route route = router.route(request.queryParam("model").orElse(null), caller.modelHint(request.headers().asHttpHeaders()));
                    ModelPermission.check(team, route.model());
                    return route;
                })
                .flatMap(route -> {
                    ObjectNode body = json.object();
                    body.put("model_name", route.model());
                    body.put("model_type", "chat-completions");
                    body.put("model_provider_name", "Meta");
                    return ok(body);
                })
                .onErrorResume(error -> errors.render(caller, error, RequestIdFilter.of(request.exchange())));
    }

    private Mono<ServerResponse> ok(ObjectNode body) {
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(json.write(body));
    }
}
