package com.llamagateway.gateway.config;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.StringUtils;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Tracing is off until an OTLP endpoint is set ({@code management.opentelemetry.tracing.export.otlp.endpoint}, or
 * {@code MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_OTLP_ENDPOINT}): without one, Micrometer Tracing's and
 * OpenTelemetry's tracing auto-configurations are left out, so requests carry no span, no {@code traceparent} and no
 * cost (docs/operations.md, "Tracing"). With one, Spring Boot traces as it documents: server and client spans,
 * {@code traceparent} propagated to deployments, exported over OTLP, sampled by {@code management.tracing.sampling.probability}.
 */
public final class TracingSwitch implements EnvironmentPostProcessor {

    public static final String ENDPOINT = "management.opentelemetry.tracing.export.otlp.endpoint";
    private static final String EXCLUDE = "spring.autoconfigure.exclude";
    private static final Set<String> TRACING = Set.of(
            "org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration",
            "org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration",
            "org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.otlp.OtlpTracingAutoConfiguration",
            "org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.zipkin.ZipkinWithOpenTelemetryTracingAutoConfiguration");

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (StringUtils.hasText(environment.getProperty(ENDPOINT))) {
            return;
        }
        Set<String> excluded = new LinkedHashSet<>();
        for (String name : StringUtils.commaDelimitedListToSet(environment.getProperty(EXCLUDE, ""))) {
            if (!name.isBlank()) {
                excluded.add(name.trim());
            }
        }
        excluded.addAll(TRACING);
        environment.getPropertySources().addFirst(new MapPropertySource("gatewayTracingOff",
                Map.of(EXCLUDE, String.join(",", excluded))));
    }
}
