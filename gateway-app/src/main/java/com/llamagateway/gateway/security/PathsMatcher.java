package com.llamagateway.gateway.security;

import org.springframework.http.server.PathContainer;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;
import reactor.core.publisher.Mono;

import java.util.Arrays;
import java.util.List;

/**
 * Which filter chain a request belongs to, by its path: the same patterns and the same matching as
 * {@code ServerWebExchangeMatchers.pathMatchers}, decided in place. Every request is matched against these, so they
 * build no operator chain and no debug message per request (Spring Security's matchers do both, at any log level).
 */
final class PathsMatcher implements ServerWebExchangeMatcher {

    private static final Mono<MatchResult> MATCH = MatchResult.match();
    private static final Mono<MatchResult> NO_MATCH = MatchResult.notMatch();

    private final List<PathPattern> patterns;

    PathsMatcher(String... patterns) {
        PathPatternParser parser = PathPatternParser.defaultInstance;
        this.patterns = Arrays.stream(patterns).map(pattern -> parser.parse(parser.initFullPathPattern(pattern))).toList();
    }

    @Override
    public Mono<MatchResult> matches(ServerWebExchange exchange) {
        PathContainer path = exchange.getRequest().getPath().pathWithinApplication();
        for (PathPattern pattern : patterns) {
            if (pattern.matches(path)) {
                return MATCH;
            }
        }
        return NO_MATCH;
    }

    @Override
    public String toString() {
        return "paths " + patterns;
    }
}
