package com.llamagateway.gateway.security;

import org.springframework.security.web.server.WebFilterChainProxy.WebFilterChainDecorator;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

import java.util.List;

/**
 * Runs a security chain's filters in order and then the rest of the application's chain, as Spring Security's default
 * ({@code DefaultWebFilterChain}) does — each filter called when its chain's {@code Mono} is subscribed — without the
 * {@code checkpoint} that puts on every filter's {@code Mono}, named by the filter's {@code toString()}: for the
 * client routes' six filters, six identity hash codes and strings and six more operators on every request, for an
 * assembly trace in the logs of a failure.
 */
final class SecurityFiltersInOrder implements WebFilterChainDecorator {

    @Override
    public WebFilterChain decorate(WebFilterChain original) {
        return original;
    }

    @Override
    public WebFilterChain decorate(WebFilterChain original, List<WebFilter> filters) {
        return filters.isEmpty() ? original : new From(filters, 0, original); // a list made for this request
    }

    /** The chain from filter {@code index} on. */
    private record From(List<WebFilter> filters, int index, WebFilterChain then) implements WebFilterChain {

        @Override
        public Mono<Void> filter(ServerWebExchange exchange) {
            return Mono.defer(() -> index < filters.size()
                    ? filters.get(index).filter(exchange, new From(filters, index + 1, then))
                    : then.filter(exchange));
        }
    }
}
