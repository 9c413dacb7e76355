package com.llamagateway.gateway.passthrough;

import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code gateway.passthrough.*}: the routes {@code /deployments/<name>/**} to each deployment's own API (docs/api.md,
 * "Pass-through"). A deployment opts out with {@code gateway.deployments.<name>.passthrough: false}.
 *
 * @param enabled        false: no pass-through routes at all
 * @param usageScanLimit the largest JSON answer, or event of a stream, whose {@code usage} is read to charge its tokens
 *                       (read from a copy as the bytes go by; larger ones count as a request alone)
 */
public record PassThroughProperties(@DefaultValue("true") boolean enabled, @DefaultValue("256KB") DataSize usageScanLimit) {

    public PassThroughProperties {
        if (usageScanLimit.toBytes() < 0 || usageScanLimit.toBytes() > 16L * 1024 * 1024) {
            throw new IllegalArgumentException("gateway.passthrough.usage-scan-limit must be from 0 to 16MB, not " + usageScanLimit);
        }
    }
}
