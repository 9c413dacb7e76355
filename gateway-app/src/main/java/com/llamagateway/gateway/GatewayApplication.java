package com.llamagateway.gateway;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

import java.util.Properties;

@SpringBootApplication
@ConfigurationPropertiesScan
public class GatewayApplication {

    public static void main(String[] args) {
        sampleBufferLeaksSparingly(System.getProperties());
        SpringApplication.run(GatewayApplication.class, args);
    }

    /**
     * Netty's buffer leak detection, at a lower cost than its defaults unless the operator set them: it watches one
     * buffer in 1,024 instead of 128, and takes no stack trace when a watched buffer is released (only when it is
     * allocated), so that a leak is still reported, within seconds at any real load. With Netty's defaults the stack
     * traces were 1.9 % of a streaming profile ({@code docs/performance.md}). Must run before Netty's classes load.
     */
    static void sampleBufferLeaksSparingly(Properties system) {
        system.putIfAbsent("io.netty.leakDetection.samplingInterval", "1024");
        system.putIfAbsent("io.netty.leakDetection.trackClose", "false");
    }
}
