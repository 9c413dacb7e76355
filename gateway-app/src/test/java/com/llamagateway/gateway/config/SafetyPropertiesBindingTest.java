package com.llamagateway.gateway.config;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code gateway.safety} as an operator writes it binds to what the stage reads. */
class SafetyPropertiesBindingTest {

    private static GatewayProperties.Safety bind(Map<String, String> properties) {
        return new Binder(new MapConfigurationPropertySource(properties)).bindOrCreate("gateway", GatewayProperties.class).safety();
    }

    @Test
    void theDefaultChainModelChainsInBracketsAndFilterSettingsBind() {
        GatewayProperties.Safety safety = bind(Map.of(
                "gateway.safety.default.input[0]", "blocklist",
                "gateway.safety.default.output[0]", "blocklist",
                "gateway.safety.models.[Meta-Llama-3.1-70B-Instruct].input[0]", "guard",
                "gateway.safety.filters.cs.type", "azure-content-safety",
                "gateway.safety.filters.cs.thresholds.[Violence]", "2",
                "gateway.safety.filters.cs.on-failure", "open",
                "gateway.safety.filters.cs.timeout", "750ms",
                "gateway.safety.stream.window", "100"));
        assertThat(safety.defaults()).isEqualTo(new GatewayProperties.Chain(List.of("blocklist"), List.of("blocklist")));
        assertThat(safety.models()).containsOnlyKeys("Meta-Llama-3.1-70B-Instruct");
        assertThat(safety.models().get("Meta-Llama-3.1-70B-Instruct").input()).containsExactly("guard");
        GatewayProperties.Filter cs = safety.filters().get("cs");
        assertThat(cs.thresholds()).containsEntry("Violence", 2);
        assertThat(cs.onFailure()).isEqualTo(GatewayProperties.FailureMode.OPEN);
        assertThat(cs.timeout()).isEqualTo(Duration.ofMillis(750));
        assertThat(safety.stream().window()).isEqualTo(100);
        assertThat(safety.stream().overlap()).isEqualTo(64);
    }

    @Test
    void nothingConfiguredScreensNothingWithFailClosedDefaults() {
        GatewayProperties.Safety safety = bind(Map.of("gateway.data-dir", "x"));
        assertThat(safety.defaults().input()).isEmpty();
        assertThat(safety.models()).isEmpty();
        GatewayProperties.Filter settings = bind(Map.of("gateway.safety.filters.blocklist.terms[0]", "x")).filters().get("blocklist");
        assertThat(settings.timeout()).isEqualTo(GatewayProperties.Filter.defaults().timeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(settings.onFailure()).isEqualTo(GatewayProperties.FailureMode.CLOSED);
        assertThat(settings.apiVersion()).isEqualTo(GatewayProperties.Filter.defaults().apiVersion());
    }
}
