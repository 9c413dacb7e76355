package com.llamagateway.gateway.config;

import com.llamagateway.gateway.api.BodyReader;
import com.llamagateway.gateway.api.ClientRoutes;
import com.llamagateway.gateway.api.CompletionHandler;
import com.llamagateway.gateway.api.ConnectionGuard;
import com.llamagateway.gateway.api.ErrorResponses;
import com.llamagateway.gateway.api.FallbackErrorHandler;
import com.llamagateway.gateway.api.ModelsHandler;
import com.llamagateway.gateway.api.RequestIdFilter;
import com.llamagateway.gateway.pipeline.CompletionPipeline;
import com.llamagateway.gateway.protocol.AzureInferenceCodec;
import com.llamagateway.gateway.protocol.BackendDialects;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.protocol.ScoreCodec;
import com.llamagateway.gateway.protocol.V1Codec;
import com.llamagateway.gateway.quota.Admission;
import com.llamagateway.gateway.quota.QuotaStore;
import com.llamagateway.gateway.resilience.CoolDowns;
import com.llamagateway.gateway.resilience.DeploymentBreakers;
import com.llamagateway.gateway.resilience.DeploymentBulkheads;
import com.llamagateway.gateway.resilience.DeploymentsHealth;
import com.llamagateway.gateway.resilience.Failover;
import com.llamagateway.gateway.routing.DeploymentCatalog;
import com.llamagateway.gateway.routing.ModelRouter;
import com.llamagateway.gateway.security.TeamKeyGate;
import com.llamagateway.gateway.safety.SafetyPolicy;
import com.llamagateway.gateway.simulation.EmbeddedSimulator;
import com.llamagateway.gateway.tokens.LlamaTokenCounter;
import com.llamagateway.gateway.tokens.UsageCompletion;
import com.llamagateway.gateway.upstream.UpstreamClient;
import com.llamagateway.gateway.usage.UsageRecorder;
import com.llamagateway.simulator.LlamaSimulator;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.reactor.netty.autoconfigure.NettyServerProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;

import java.nio.file.Path;

/** Wires the stages of the request path. */
@Configuration(proxyBeanMethods = false)
public class GatewayConfiguration {

    private static final Logger log = LoggerFactory.getLogger(GatewayConfiguration.class);

    @Bean
    Json json(GatewayProperties properties) {
        return new Json(properties.request().maxNestingDepth(), properties.request().maxBodySize().toBytes(),
                properties.upstream().maxResponseSize().toBytes());
    }

    @Bean
    V1Codec v1Codec(Json json) {
        return new V1Codec(json);
    }

    @Bean
    AzureInferenceCodec azureInferenceCodec(Json json) {
        return new AzureInferenceCodec(json);
    }

    @Bean
    ScoreCodec scoreCodec(Json json) {
        return new ScoreCodec(json);
    }

    /** Created only when the embedded default asks for it (see {@link EmbeddedSimulator#enabled}). */
    @Bean(destroyMethod = "close")
    @Lazy
    LlamaSimulator embeddedSimulator(GatewayProperties properties) {
        return EmbeddedSimulator.start(properties);
    }

    @Bean
    DeploymentCatalog deploymentCatalog(GatewayProperties properties, ObjectProvider<LlamaSimulator> simulator) {
        if (!EmbeddedSimulator.enabled(properties)) {
            return DeploymentCatalog.from(properties);
        }
        LlamaSimulator sim = simulator.getObject();
        log.info("Serving simulated deployments in this process on port {}", sim.port());
        return DeploymentCatalog.from(properties, EmbeddedSimulator.catalog(sim));
    }

    @Bean
    ModelRouter modelRouter(DeploymentCatalog catalog) {
        catalog.deployments().forEach(d -> log.info("Deployment {}", d));
        return new ModelRouter(catalog);
    }

    @Bean(destroyMethod = "close")
    UpstreamClient upstreamClient(Json json, GatewayProperties properties, ObjectProvider<ObservationRegistry> observations) {
        return new UpstreamClient(json, observations.getIfAvailable(() -> ObservationRegistry.NOOP), (int) properties.upstream().maxResponseSize().toBytes(), properties.upstream().deadline());
    }

    @Bean
    LlamaTokenCounter llamaTokenCounter(GatewayProperties properties) {
        Path vocabulary = properties.tokenizer().vocabulary();
        LlamaTokenCounter counter = vocabulary == null ? new LlamaTokenCounter() : LlamaTokenCounter.fromVocabulary(vocabulary);
        log.info("Prompt tokens are counted with {}{}", counter.description(),
                vocabulary == null ? "; set gateway.tokenizer.vocabulary to Llama 3's tokenizer.model for exact counts of non-English text" : "");
        return counter;
    }

    @Bean
    UsageCompletion usageCompletion(LlamaTokenCounter counter) {
        return new UsageCompletion(counter);
    }

    @Bean
    BackendDialects backendDialects(V1Codec v1, AzureInferenceCodec azure, ScoreCodec score) {
        return new BackendDialects(v1, azure, score);
    }

    @Bean
    CompletionPipeline completionPipeline(ModelRouter router, Admission admission, BackendDialects backends, UpstreamClient upstream,
                                          UsageCompletion usage, SafetyPolicy safety, Json json, GatewayProperties properties,
                                          DeploymentBreakers breakers, DeploymentBulkheads bulkheads, CoolDowns coolDowns,
                                          MeterRegistry registry, UsageRecorder recorder) {
        return new CompletionPipeline(router, admission, backends, upstream, usage, safety, json,
                new Failover(properties.resilience(), registry), breakers, coolDowns, bulkheads, recorder);
    }

    /** A deployment's Retry-After kept by the quota store for every replica (translated routes and pass-through). */
    @Bean
    CoolDowns coolDowns(QuotaStore quotaStore, GatewayProperties properties, MeterRegistry registry) {
        return new CoolDowns(quotaStore, properties.resilience().coolDown(), registry);
    }

    @Bean
    DeploymentBulkheads deploymentBulkheads(DeploymentCatalog catalog, MeterRegistry registry) {
        DeploymentBulkheads bulkheads = new DeploymentBulkheads(registry);
        catalog.deployments().forEach(bulkheads::of);
        return bulkheads;
    }

    /** The health component {@code deployments}, shown with its details at {@code /actuator/health/resilience}. */
    @Bean
    DeploymentsHealth deploymentsHealthIndicator(DeploymentCatalog catalog, DeploymentBreakers breakers, DeploymentBulkheads bulkheads) {
        return new DeploymentsHealth(catalog, breakers, bulkheads);
    }

    @Bean
    DeploymentBreakers deploymentBreakers(GatewayProperties properties, DeploymentCatalog catalog, MeterRegistry registry) {
        DeploymentBreakers breakers = new DeploymentBreakers(properties.resilience().breaker(), registry);
        catalog.deployments().forEach(breakers::of); // every deployment's meters from the start
        return breakers;
    }

    @Bean
    ErrorResponses errorResponses(Json json, V1Codec v1, AzureInferenceCodec azure) {
        ErrorResponses.logDroppedErrors();
        return new ErrorResponses(json, v1, azure);
    }

    @Bean
    RequestIdFilter requestIdFilter() {
        return new RequestIdFilter();
    }

    /** Slow clients and requests Netty refuses, before WebFlux. */
    @Bean
    ConnectionGuard connectionGuard(ErrorResponses errors, GatewayProperties properties, NettyServerProperties server) {
        return new ConnectionGuard(errors, properties.request().headerTimeout(), properties.request().bodyTimeout(),
                properties.request().sendTimeout(), server.getIdleTimeout());
    }

    @Bean
    FallbackErrorHandler fallbackErrorHandler(ErrorResponses errors) {
        return new FallbackErrorHandler(errors);
    }

    /** The LLM routes of the contract (DESIGN.md, "Client routes"), served in front of the security chains and dispatcher. */
    @Bean
    ClientRoutes clientRoutes(CompletionPipeline pipeline, ModelRouter router, V1Codec v1, AzureInferenceCodec azure,
                              ErrorResponses errors, Json json, GatewayProperties properties, TeamKeyGate gate) {
        CompletionHandler completions = new CompletionHandler(
                new BodyReader((int) properties.request().maxBodySize().toBytes(), properties.request().bodyTimeout(), json), pipeline, errors, json);
        return new ClientRoutes(completions, new ModelsHandler(router, errors, json), v1, azure, gate);
    }
}
