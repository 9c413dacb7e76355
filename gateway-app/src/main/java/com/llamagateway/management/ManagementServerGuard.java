package com.llamagateway.management;

import com.llamagateway.gateway.api.ConnectionGuard;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextType;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;

/**
 * The management server (on {@code management.server.port}, a child context of its own) gets the client port's
 * {@link ConnectionGuard} too: Spring Boot builds its Netty server without the parent's customizers, and without the
 * guard a kept-alive connection to it stopped being read after a request queued behind another was answered at once
 * (reactor-netty#4361) — the next probe or scrape on that connection then waited for ever. Outside the gateway's
 * packages, so that component scanning leaves it to the child context (listed in
 * {@code META-INF/spring/…ManagementContextConfiguration.imports}).
 */
@ManagementContextConfiguration(value = ManagementContextType.CHILD, proxyBeanMethods = false)
public class ManagementServerGuard {

    @Bean
    WebServerFactoryCustomizer<NettyReactiveWebServerFactory> managementConnectionGuard(ConnectionGuard guard) {
        return factory -> factory.addServerCustomizers(guard);
    }
}
