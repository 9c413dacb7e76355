package com.llamagateway.gateway.security;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.web.server.header.HttpHeaderWriterWebFilter;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebHandler;
import org.springframework.web.server.handler.DefaultWebFilterChain;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link SecurityHeaders} writes what Spring Security's default header writers write, for any response: any status
 * (304 included), over HTTP or HTTPS, whatever headers the handler set itself before.
 */
class SecurityHeadersPropertiesTest {

    /** The header writing filter of a chain built with Spring Security's default headers. */
    private static final List<WebFilter> SPRING_DEFAULTS = ServerHttpSecurity.http().headers(Customizer.withDefaults())
            .build().getWebFilters().filter(HttpHeaderWriterWebFilter.class::isInstance).collectList().block();

    @Provide
    Arbitrary<Map<String, String>> handlerHeaders() {
        return Arbitraries.maps(Arbitraries.of(HttpHeaders.CACHE_CONTROL, "cache-control", HttpHeaders.PRAGMA, HttpHeaders.EXPIRES,
                        "X-Frame-Options", "x-content-type-options", "Referrer-Policy", SecurityHeaders.HSTS, "X-XSS-Protection", "Content-Type"),
                Arbitraries.of("no-cache", "SAMEORIGIN", "1", "text/event-stream")).ofMaxSize(4);
    }

    @Property(tries = 500)
    void theSameHeadersAsSpringSecuritysDefaults(@ForAll("handlerHeaders") Map<String, String> set,
                                                 @ForAll boolean https, @ForAll("statuses") HttpStatus status) {
        Map<String, List<String>> ours = respond(List.of(new HttpHeaderWriterWebFilter(new SecurityHeaders())), set, https, status);
        Map<String, List<String>> theirs = respond(SPRING_DEFAULTS, set, https, status);
        assertThat(SPRING_DEFAULTS).hasSize(1);
        assertThat(ours).isEqualTo(theirs);
        if (status != HttpStatus.NOT_MODIFIED && set.isEmpty()) {
            assertThat(ours).as("a response that set nothing itself").containsKeys("cache-control", "x-frame-options", "referrer-policy");
            assertThat(ours.containsKey("strict-transport-security")).isEqualTo(https);
        }
    }

    @Provide
    Arbitrary<HttpStatus> statuses() {
        return Arbitraries.of(HttpStatus.OK, HttpStatus.NOT_MODIFIED, HttpStatus.UNAUTHORIZED, HttpStatus.NOT_FOUND, HttpStatus.TOO_MANY_REQUESTS);
    }

    private static Map<String, List<String>> respond(List<WebFilter> filters, Map<String, String> set, boolean https, HttpStatus status) {
        MockServerWebExchange exchange = MockServerWebExchange.from(
                MockServerHttpRequest.method(HttpMethod.POST, URI.create((https ? "https" : "http") + "://gateway.example/v1/chat/completions")));
        WebHandler handler = served -> {
            served.getResponse().setStatusCode(status);
            set.forEach(served.getResponse().getHeaders()::set);
            return served.getResponse().setComplete();
        };
        new DefaultWebFilterChain(handler, filters).filter(exchange).block();
        Map<String, List<String>> headers = new TreeMap<>();
        exchange.getResponse().getHeaders().forEach((name, values) -> headers.put(name.toLowerCase(), values));
        return headers;
    }
}
