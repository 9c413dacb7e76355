package com.llamagateway.gateway.support;

import com.llamagateway.gateway.GatewayApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.client.ReactorResourceFactory;

import java.util.Map;

/**
 * Starts a gateway replica in this JVM, beside other tests' contexts. Each replica gets Reactor Netty resources
 * of its own: with the default global ones, closing a replica would dispose the event loops every other context
 * of the JVM (and the simulators in it) still uses.
 */
public final class Replicas {

    private Replicas() {
    }

    /** Properties are passed as command-line arguments: they outrank application.yaml, as an operator's would. */
    @SafeVarargs
    public static ConfigurableApplicationContext start(Map<String, String> properties,
                                                       ApplicationContextInitializer<ConfigurableApplicationContext>... more) {
        ReactorResourceFactory own = new ReactorResourceFactory();
        own.setUseGlobalResources(false);
        own.afterPropertiesSet();
        return new SpringApplicationBuilder(GatewayApplication.class)
                .initializers(context -> context.getBeanFactory().registerSingleton("reactorResourceFactory", own))
                .initializers(more)
                .run(properties.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new));
    }
}
