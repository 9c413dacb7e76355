package com.llamagateway.simulator;

import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.Collection;
import java.util.function.Function;

import static com.llamagateway.simulator.SimulatorHttp.JSON;
import static com.llamagateway.simulator.SimulatorHttp.object;

/**
 * Lets a test outside the process steer the simulator under {@code /_simulator}: behaviour, limits, faults,
 * statistics. See the module's README for the contract.
 */
final class ControlApi {

    private final Function<String, SimulatedDeployment> deployments;
    private final Collection<SimulatedDeployment> all;

    ControlApi(Function<String, SimulatedDeployment> deployments, Collection<SimulatedDeployment> all) {
        this.deployments = deployments;
        this.all = all;
    }

    Mono<ServerResponse> list(ServerRequest request) {
        ArrayNode list = JSON.createArrayNode();
        all.forEach(d -> list.addObject().put("name", d.name()).put("kind", d.kind().name().toLowerCase().replace('_', '-'))
                .put("model", d.model()));
        return SimulatorHttp.json(HttpStatus.OK, object().set("deployments", list));
    }

    Mono<ServerResponse> stats(ServerRequest request) {
        return with(request, d -> {
            Stats s = d.stats();
            return SimulatorHttp.json(HttpStatus.OK, object().put("requests", s.requests()).put("streamsStarted", s.streamsStarted())
                    .put("streamsCompleted", s.streamsCompleted()).put("streamsCancelled", s.streamsCancelled())
                    .put("tokensStreamed", s.tokensStreamed()));
        });
    }

    Mono<ServerResponse> behaviour(ServerRequest request) {
        return withBody(request, (d, body) -> {
            Behaviour b = d.behaviour();
            if (body.has("timeToFirstTokenMs")) {
                b = b.withTimeToFirstToken(Duration.ofMillis(body.get("timeToFirstTokenMs").asLong()));
            }
            if (body.has("tokenDelayMs")) {
                b = b.withTokenDelay(Duration.ofMillis(body.get("tokenDelayMs").asLong()));
            }
            if (body.has("reply")) {
                b = b.withReply(body.get("reply").asString());
            }
            d.behaviour(b);
            return ServerResponse.noContent().build();
        });
    }

    Mono<ServerResponse> limits(ServerRequest request) {
        return withBody(request, (d, body) -> {
            d.limits(body.path("requestsPerMinute").asLong(0), body.path("tokensPerMinute").asLong(0));
            return ServerResponse.noContent().build();
        });
    }

    Mono<ServerResponse> addFault(ServerRequest request) {
        return withBody(request, (d, body) -> {
            int times = body.path("times").asInt(1);
            Fault fault = switch (body.path("type").asString("")) {
                case "status" -> new Fault.Status(body.path("status").asInt(500), body.path("message").asString("Simulated failure"),
                        body.has("retryAfterMs") ? Duration.ofMillis(body.path("retryAfterMs").asLong()) : null);
                case "hang" -> new Fault.Hang();
                case "delay" -> new Fault.Delay(Duration.ofMillis(body.path("delayMs").asLong(1000)));
                case "drop" -> new Fault.DropMidStream(body.path("afterTokens").asInt(1));
                default -> null;
            };
            if (fault == null) {
                return SimulatorHttp.azureError(400, "BadRequest", "type must be one of status, hang, delay, drop");
            }
            if (fault instanceof Fault.Status status && body.has("share")) {
                d.faults().failShare(status.status(), body.path("share").asDouble(), body.path("seed").asLong(1));
                return ServerResponse.noContent().build();
            }
            d.faults().add(fault, times);
            return ServerResponse.noContent().build();
        });
    }

    Mono<ServerResponse> clearFaults(ServerRequest request) {
        return with(request, d -> {
            d.faults().clear();
            return ServerResponse.noContent().build();
        });
    }

    Mono<ServerResponse> reset(ServerRequest request) {
        return with(request, d -> {
            d.reset();
            return ServerResponse.noContent().build();
        });
    }

    private Mono<ServerResponse> with(ServerRequest request, Function<SimulatedDeployment, Mono<ServerResponse>> action) {
        SimulatedDeployment deployment = deployments.apply(request.pathVariable("deployment"));
        return deployment == null ? SimulatorHttp.azureError(404, "NotFound", "No such simulated deployment") : action.apply(deployment);
    }

    private Mono<ServerResponse> withBody(ServerRequest request, java.util.function.BiFunction<SimulatedDeployment, JsonNode, Mono<ServerResponse>> action) {
        return with(request, d -> request.bodyToMono(String.class).defaultIfEmpty("{}").flatMap(text -> {
            try {
                JsonNode body = JSON.readTree(text);
                return body instanceof ObjectNode ? action.apply(d, body) : SimulatorHttp.azureError(400, "BadRequest", "expected a JSON object");
            } catch (JacksonException e) {
                return SimulatorHttp.azureError(400, "BadRequest", "invalid JSON");
            }
        }));
    }
}
