package com.llamagateway.gateway.api;

import com.llamagateway.gateway.RandomIds;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

import java.util.regex.Pattern;

/** Gives every exchange an {@code x-request-id}: the caller's if it sent a sane one, else a new one; echoed on every response. */
public final class RequestIdFilter implements WebFilter, Ordered {

    public static final String HEADER = "x-request-id";
    private static final String ATTRIBUTE = RequestIdFilter.class.getName();
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    public static String of(ServerWebExchange exchange) {
        String id = exchange.getAttribute(ATTRIBUTE);
        return id != null ? id : "-";
    }

    /** The id for a request that sent {@code sent} (or null): the caller's if it is sane, else a new one. */
    static String chosen(String sent) {
        return sent != null && SANE.matcher(sent).matches() ? sent : RandomIds.uuid();
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String id = chosen(exchange.getRequest().getHeaders().getFirst(HEADER));
        exchange.getAttributes().put(ATTRIBUTE, id);
        exchange.getResponse().getHeaders().set(HEADER, id);
        return chain.filter(exchange);
    }

    /** The name Spring's filter chain gives this filter's checkpoint on every request: a constant, not an identity hash code. */
    @Override
    public String toString() {
        return "RequestIdFilter";
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }
}
