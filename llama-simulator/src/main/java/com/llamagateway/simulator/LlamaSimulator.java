package com.llamagateway.simulator;

import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.server.HandlerStrategies;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.springframework.web.reactive.function.server.RequestPredicates.DELETE;
import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.POST;
import static org.springframework.web.reactive.function.server.RequestPredicates.PUT;
import static org.springframework.web.reactive.function.server.RouterFunctions.route;

/**
 * Stand-in Azure Llama deployments on one HTTP server. Each deployment lives under {@code /{name}}, so that
 * {@code http://host:port/{name}} plays the part of its Azure endpoint URL:
 * <ul>
 *   <li>serverless: {@code /{name}/v1/chat/completions}, {@code /{name}/v1/completions} (Llama API),
 *       {@code /{name}/chat/completions}, {@code /{name}/completions}, {@code /{name}/info} (Azure AI Model Inference)</li>
 *   <li>managed compute: {@code /{name}/score}</li>
 *   <li>Content Safety: {@code /{name}/contentsafety/text:analyze}</li>
 *   <li>control: {@code /_simulator/…}</li>
 * </ul>
 * Runs in any process (plain Spring WebFlux on Reactor Netty, no application context of its own).
 */
public final class LlamaSimulator implements AutoCloseable {

    private static final int MAX_REQUEST_BYTES = 8 * 1024 * 1024;

    private final Map<String, SimulatedDeployment> deployments;
    private final DisposableServer server;

    private LlamaSimulator(Map<String, SimulatedDeployment> deployments, String host, int port) {
        this.deployments = deployments;
        HttpHandler handler = RouterFunctions.toHttpHandler(router(),
                HandlerStrategies.builder().codecs(c -> c.defaultCodecs().maxInMemorySize(MAX_REQUEST_BYTES)).build());
        this.server = HttpServer.create().host(host).port(port).handle(new ReactorHttpHandlerAdapter(handler)).bindNow(Duration.ofSeconds(10));
    }

    public static Builder builder() {
        return new Builder();
    }

    private RouterFunction<ServerResponse> router() {
        ServerlessApi serverless = new ServerlessApi(deployments::get);
        ManagedComputeApi managed = new ManagedComputeApi(deployments::get);
        ControlApi control = new ControlApi(deployments::get, deployments.values());
        ContentSafetyApi contentSafety = new ContentSafetyApi(deployments::get);
        return route(GET("/_simulator/deployments"), control::list)
                .andRoute(GET("/_simulator/{deployment}/stats"), control::stats)
                .andRoute(PUT("/_simulator/{deployment}/behaviour"), control::behaviour)
                .andRoute(PUT("/_simulator/{deployment}/limits"), control::limits)
                .andRoute(POST("/_simulator/{deployment}/faults"), control::addFault)
                .andRoute(DELETE("/_simulator/{deployment}/faults"), control::clearFaults)
                .andRoute(POST("/_simulator/{deployment}/reset"), control::reset)
                .andRoute(POST("/{deployment}/v1/chat/completions"), r -> serverless.generate(r, ServerlessApi.Api.LLAMA, true))
                .andRoute(POST("/{deployment}/v1/completions"), r -> serverless.generate(r, ServerlessApi.Api.LLAMA, false))
                .andRoute(POST("/{deployment}/chat/completions"), r -> serverless.generate(r, ServerlessApi.Api.MODEL_INFERENCE, true))
                .andRoute(POST("/{deployment}/completions"), r -> serverless.generate(r, ServerlessApi.Api.MODEL_INFERENCE, false))
                .andRoute(GET("/{deployment}/info"), serverless::info)
                .andRoute(POST("/{deployment}/score"), managed::score)
                .andRoute(POST("/{deployment}/contentsafety/text:analyze"), contentSafety::analyze);
    }

    public int port() {
        return server.port();
    }

    /** The URL that plays the part of the deployment's Azure endpoint (for managed compute, without {@code /score}). */
    public String baseUrl(String deployment) {
        deployment(deployment);
        return "http://127.0.0.1:" + port() + "/" + deployment;
    }

    public SimulatedDeployment deployment(String name) {
        SimulatedDeployment deployment = deployments.get(name);
        if (deployment == null) {
            throw new IllegalArgumentException("No simulated deployment named " + name);
        }
        return deployment;
    }

    public Collection<SimulatedDeployment> deployments() {
        return deployments.values();
    }

    /** Every deployment back to instant answers without faults or limits. */
    public void reset() {
        deployments.values().forEach(SimulatedDeployment::reset);
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(5));
    }

    public static final class Builder {
        private final List<SimulatedDeployment> deployments = new ArrayList<>();
        private String host = "127.0.0.1";

        public Builder deployment(SimulatedDeployment deployment) {
            deployments.add(deployment);
            return this;
        }

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /** Starts the server; port 0 picks a free one. */
        public LlamaSimulator start(int port) {
            Map<String, SimulatedDeployment> byName = new LinkedHashMap<>();
            for (SimulatedDeployment deployment : deployments) {
                if (byName.putIfAbsent(deployment.name(), deployment) != null) {
                    throw new IllegalArgumentException("Duplicate simulated deployment " + deployment.name());
                }
            }
            return new LlamaSimulator(java.util.Collections.unmodifiableMap(byName), host, port);
        }
    }
}
