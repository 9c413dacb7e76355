package com.llamagateway.gateway.security;

import org.junit.jupiter.api.Test;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SecurityFiltersInOrderTest {

    private final List<String> ran = new ArrayList<>();
    private final ServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/v1/models"));
    private final WebFilterChain application = exchange -> Mono.fromRunnable(() -> ran.add("application"));

    /** A filter that notes its turn and passes on; naming it fails the test. */
    private WebFilter passing(String name) {
        return new WebFilter() {
            @Override
            public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
                ran.add(name);
                return chain.filter(exchange);
            }

            @Override
            public String toString() {
                throw new AssertionError("a filter's name is asked for on the request path");
            }
        };
    }

    @Test
    void theFiltersRunInOrderWhenSubscribedThenTheApplication() {
        Mono<Void> chain = new SecurityFiltersInOrder().decorate(application, new ArrayList<>(List.of(passing("first"), passing("second"))))
                .filter(exchange);
        assertThat(ran).isEmpty();

        StepVerifier.create(chain).verifyComplete();

        assertThat(ran).containsExactly("first", "second", "application");
    }

    @Test
    void aFilterThatAnswersItselfEndsTheChain() {
        WebFilter refusing = (exchange, chain) -> Mono.fromRunnable(() -> ran.add("refused"));

        StepVerifier.create(new SecurityFiltersInOrder().decorate(application, new ArrayList<>(List.of(passing("first"), refusing, passing("never"))))
                .filter(exchange)).verifyComplete();

        assertThat(ran).containsExactly("first", "refused");
    }

    @Test
    void eachSubscriptionRunsTheChainAgain() {
        Mono<Void> chain = new SecurityFiltersInOrder().decorate(application, new ArrayList<>(List.of(passing("only"))))
                .filter(exchange);

        StepVerifier.create(chain).verifyComplete();
        StepVerifier.create(chain).verifyComplete();

        assertThat(ran).containsExactly("only", "application", "only", "application");
    }

    @Test
    void noFiltersIsTheApplicationItself() {
        SecurityFiltersInOrder filters = new SecurityFiltersInOrder();

        assertThat(filters.decorate(application)).isSameAs(application);
        assertThat(filters.decorate(application, new ArrayList<>())).isSameAs(application);
    }
}
