package com.llamagateway.gateway.security;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.springframework.http.HttpMethod;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;
import org.springframework.web.server.ServerWebExchange;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The filter chains are chosen by {@link PathsMatcher} exactly as Spring Security's path matchers would choose them,
 * for any path a client can send: known routes and near misses, encoded characters, trailing and doubled slashes,
 * dot segments, matrix parameters, letter case.
 */
class PathsMatcherPropertiesTest {

    @Provide
    Arbitrary<String> paths() {
        Arbitrary<String> segment = Arbitraries.of("", "v1", "V1", "%76%31", "v1%2F", "chat", "completions", "chat%2Fcompletions",
                "models", "modelsx", "info", "deployments", "admin", "ADMIN", "adm%69n", "x", ".", "..", "a;b", "v1;x", "%2e%2e", "%20");
        return segment.list().ofMinSize(1).ofMaxSize(5)
                .flatMap(segments -> Arbitraries.of("", "/", "//").map(tail -> "/" + String.join("/", segments) + tail));
    }

    @Property(tries = 2000)
    void clientPathsAreMatchedAsSpringSecurityMatchesThem(@ForAll("paths") String path) {
        assertSameDecision(path, new PathsMatcher(SecurityConfiguration.CLIENT_PATHS), ServerWebExchangeMatchers.pathMatchers(SecurityConfiguration.CLIENT_PATHS));
    }

    @Property(tries = 1000)
    void adminPathsAreMatchedAsSpringSecurityMatchesThem(@ForAll("paths") String path) {
        assertSameDecision(path, new PathsMatcher(SecurityConfiguration.ADMIN_PATHS), ServerWebExchangeMatchers.pathMatchers(SecurityConfiguration.ADMIN_PATHS));
    }

    /** The client chain is tried before the admin chain: no path may belong to both. */
    @Property(tries = 2000)
    void noPathIsBothAClientAndAnAdminPath(@ForAll("paths") String path) {
        assertThat(matches(new PathsMatcher(SecurityConfiguration.CLIENT_PATHS), path) && matches(new PathsMatcher(SecurityConfiguration.ADMIN_PATHS), path))
                .as(path).isFalse();
    }

    @Example
    void theRoutesThemselvesMatchAndOthersDoNot() {
        ServerWebExchangeMatcher client = new PathsMatcher(SecurityConfiguration.CLIENT_PATHS);
        for (String route : new String[]{"/v1/chat/completions", "/v1/models", "/chat/completions", "/completions", "/info", "/models/info",
                "/deployments/d/v1/chat/completions", "/v1"}) {
            assertThat(matches(client, route)).as(route).isTrue();
        }
        for (String other : new String[]{"/actuator/health", "/admin/v1/teams", "/v2/chat/completions", "/chat", "/", "/v1x/models"}) {
            assertThat(matches(client, other)).as(other).isFalse();
        }
    }

    private static void assertSameDecision(String path, ServerWebExchangeMatcher matcher, ServerWebExchangeMatcher reference) {
        assertThat(matches(matcher, path)).as(path).isEqualTo(matches(reference, path));
    }

    private static boolean matches(ServerWebExchangeMatcher matcher, String path) {
        ServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.method(HttpMethod.POST, URI.create("http://localhost" + path)));
        return matcher.matches(exchange).block().isMatch();
    }
}
