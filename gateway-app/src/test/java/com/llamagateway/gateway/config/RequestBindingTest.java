package com.llamagateway.gateway.config;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** gateway.request: the send timeout's default, and a value it cannot run on refused at start. */
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
}
