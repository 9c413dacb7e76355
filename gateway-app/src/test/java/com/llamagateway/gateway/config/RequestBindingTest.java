package com.llamagateway.gateway.config;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** gateway.request: the send timeout's default, and values the gateway cannot serve with refused at start. */
class RequestBindingTest {

    private static GatewayProperties bind(Map<String, String> properties) {
        return new Binder(new MapConfigurationPropertySource(properties)).bindOrCreate("gateway", GatewayProperties.class);
    }

    @Test
    void theSendTimeoutIsTwentySecondsUnlessSet() {
        assertThat(bind(Map.of()).request().sendTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(bind(Map.of("gateway.request.send-timeout", "5s")).request().sendTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void aSendTimeoutOfNothingIsRefused() {
        for (String value : new String[]{"0s", "1ms", "-5s"}) {
            assertThatThrownBy(() -> bind(Map.of("gateway.request.send-timeout", value))).as(value)
                    .hasRootCauseInstanceOf(IllegalArgumentException.class).rootCause().hasMessageContaining("send-timeout");
        }
    }

    @Test
    void boundsThatWouldRefuseEveryRequestAreRefused() {
        Map<String, String[]> refused = Map.of(
                "gateway.request.header-timeout", new String[]{"0s", "-1s"},
                "gateway.request.body-timeout", new String[]{"0s", "-1s"},
                "gateway.request.max-body-size", new String[]{"0B", "-1MB"},
                "gateway.request.max-nesting-depth", new String[]{"0", "-1"});
        refused.forEach((key, values) -> {
            for (String value : values) {
                assertThatThrownBy(() -> bind(Map.of(key, value))).as(key + "=" + value)
                        .hasRootCauseInstanceOf(IllegalArgumentException.class).rootCause().hasMessageContaining(key);
            }
        });
        GatewayProperties.Request smallest = bind(Map.of("gateway.request.header-timeout", "1ms", "gateway.request.body-timeout", "1ms",
                "gateway.request.max-body-size", "1B", "gateway.request.max-nesting-depth", "1")).request();
        assertThat(smallest.headerTimeout()).isEqualTo(Duration.ofMillis(1));
        assertThat(smallest.maxBodySize().toBytes()).isEqualTo(1);
    }
}
