package com.llamagateway.gateway.config;

import com.llamagateway.gateway.protocol.BackendDialects;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.routing.DeploymentCatalog;
import com.llamagateway.gateway.safety.AzureContentSafetyFilter;
import com.llamagateway.gateway.safety.BlocklistFilter;
import com.llamagateway.gateway.safety.LlamaGuardFilter;
import com.llamagateway.gateway.safety.SafetyChain;
import com.llamagateway.gateway.safety.SafetyFilter;
import com.llamagateway.gateway.safety.SafetyHttp;
import com.llamagateway.gateway.safety.SafetyPolicy;
import com.llamagateway.gateway.safety.WebhookFilter;
import com.llamagateway.gateway.upstream.UpstreamClient;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.client.WebClient;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Wires content safety: the filters (instances of the built-in types configured under
 * {@code gateway.safety.filters}, and the application's own {@link SafetyFilter} beans, by bean name) and the
 * chains of each model. Any name that resolves to nothing, any chain for a model no deployment serves and any
 * invalid filter setting stops the start with the property at fault.
 */
@Configuration(proxyBeanMethods = false)
public class SafetyConfiguration {

    private static final Logger log = LoggerFactory.getLogger(SafetyConfiguration.class);
    static final Set<String> BUILT_IN_TYPES = Set.of("blocklist", "azure-content-safety", "llama-guard", "webhook");

    @Bean(destroyMethod = "close")
    SafetyHttp safetyHttp(Json json, WebClient.Builder webClients) {
        return new SafetyHttp(json, webClients);
    }

    @Bean
    SafetyPolicy safetyPolicy(GatewayProperties properties, ApplicationContext context, SafetyHttp http, UpstreamClient upstream,
                              DeploymentCatalog catalog, BackendDialects dialects, MeterRegistry meters) {
        GatewayProperties.Safety safety = properties.safety();
        Map<String, SafetyFilter> beans = context.getBeansOfType(SafetyFilter.class);
        Map<String, SafetyChain.Member> members = new HashMap<>();
        java.util.function.Function<String, SafetyChain.Member> resolve = name -> members.computeIfAbsent(name, n -> {
            GatewayProperties.Filter settings = safety.filters().getOrDefault(n, GatewayProperties.Filter.defaults());
            String type = settings.type() != null ? settings.type() : (BUILT_IN_TYPES.contains(n) && !beans.containsKey(n) ? n : null);
            SafetyFilter filter;
            if (type != null) {
                filter = builtIn(n, type, settings, http, upstream, catalog, dialects);
            } else if (beans.containsKey(n)) {
                filter = beans.get(n);
            } else {
                throw new IllegalStateException("Content-safety filter '" + n + "' is neither configured under gateway.safety.filters with a type ("
                        + String.join(", ", BUILT_IN_TYPES.stream().sorted().toList()) + ") nor a SafetyFilter bean of that name");
            }
            return new SafetyChain.Member(n, filter, settings.timeout(), settings.onFailure());
        });
        safety.filters().keySet().forEach(resolve::apply); // configured but unused filters are checked too
        SafetyPolicy.Chains defaults = chains(safety.defaults(), resolve, meters);
        Map<String, SafetyPolicy.Chains> byModel = new HashMap<>();
        safety.models().forEach((model, chain) -> {
            if (!catalog.models().contains(model)) {
                throw new IllegalStateException("gateway.safety.models has a chain for '" + model + "', which no deployment serves"
                        + " (write model names that contain dots in brackets: \"[Meta-Llama-3.1-8B-Instruct]\")");
            }
            byModel.put(model, chains(chain, resolve, meters));
        });
        log.info("Content safety: default input {} output {}{}", defaults.input().names(), defaults.output().names(),
                byModel.isEmpty() ? "" : ", models " + byModel.keySet());
        return new SafetyPolicy(defaults, byModel, safety.stream().window(), safety.stream().overlap());
    }

    private static SafetyPolicy.Chains chains(GatewayProperties.Chain chain, java.util.function.Function<String, SafetyChain.Member> resolve,
                                              MeterRegistry meters) {
        return new SafetyPolicy.Chains(new SafetyChain(chain.input().stream().map(resolve).toList(), meters),
                new SafetyChain(chain.output().stream().map(resolve).toList(), meters));
    }

    private static SafetyFilter builtIn(String name, String type, GatewayProperties.Filter settings, SafetyHttp http, UpstreamClient upstream,
                                        DeploymentCatalog catalog, BackendDialects dialects) {
        try {
            return switch (type) {
                case "blocklist" -> new BlocklistFilter(settings.category() == null ? "blocklist" : settings.category(),
                        settings.terms(), settings.patterns(), settings.timeout().toNanos());
                case "azure-content-safety" -> new AzureContentSafetyFilter(http, settings.endpoint(), settings.apiKey(), settings.apiVersion(),
                        settings.categories(), settings.thresholds(), settings.blocklistNames(), settings.haltOnBlocklistHit());
                case "llama-guard" -> {
                    Deployment deployment = settings.deployment() == null ? null : catalog.deployment(settings.deployment());
                    if (deployment == null) {
                        throw new IllegalArgumentException("deployment must name a deployment of gateway.deployments (got '" + settings.deployment() + "')");
                    }
                    yield new LlamaGuardFilter(upstream, deployment, dialects.get(deployment.dialect()), settings.categories(), settings.annotate());
                }
                case "webhook" -> new WebhookFilter(http, settings.url(), settings.headers(), settings.secret());
                default -> throw new IllegalArgumentException("unknown type '" + type + "' (one of " + BUILT_IN_TYPES + ")");
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("gateway.safety.filters." + name + ": " + e.getMessage(), e);
        }
    }
}
