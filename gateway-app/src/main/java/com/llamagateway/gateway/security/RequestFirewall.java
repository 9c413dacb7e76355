package com.llamagateway.gateway.security;

import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.security.web.server.firewall.ServerWebExchangeFirewall;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

import java.util.function.Supplier;

/**
 * Spring Security's firewall — the same bean as every chain's, with all it checks in the request, at once and when a
 * header or parameter is read — for the requests {@link TeamKeyGate} admits, less the one thing it checks in the
 * response: that no header name or value has a CR or LF when the response is committed. Netty 4.2 refuses such a value
 * when the header is set (its default headers validate values: {@code IllegalArgumentException}, "Validation failed
 * for header"), so on this server that check cannot find anything; it cost ~2.5 KB and ~1 % of the CPU of a completion,
 * a walk over Netty's headers through Spring's adapter (docs/performance.md). The firewall registers its check while
 * it builds the firewalled exchange: until then the response takes no commit action, every one after.
 */
final class RequestFirewall {

    private final ServerWebExchangeFirewall firewall;

    RequestFirewall(ServerWebExchangeFirewall firewall) {
        this.firewall = firewall;
    }

    /** The firewalled exchange, or a {@code ServerExchangeRejectedException} (at once, or when a header is read). */
    Mono<ServerWebExchange> firewalled(ServerWebExchange exchange) {
        CommitActionsHeld response = new CommitActionsHeld(exchange.getResponse());
        return firewall.getFirewalledExchange(exchange.mutate().response(response).build())
                .map(firewalled -> {
                    response.held = false;
                    return firewalled;
                });
    }

    /** A response that drops the commit actions registered while {@code held}, and passes on every other. */
    private static final class CommitActionsHeld extends ServerHttpResponseDecorator {

        private boolean held = true;

        CommitActionsHeld(ServerHttpResponse delegate) {
            super(delegate);
        }

        @Override
        public void beforeCommit(Supplier<? extends Mono<Void>> action) {
            if (!held) {
                super.beforeCommit(action);
            }
        }
    }
}
