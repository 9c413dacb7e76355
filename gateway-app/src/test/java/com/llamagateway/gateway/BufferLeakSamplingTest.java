package com.llamagateway.gateway;

import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

class BufferLeakSamplingTest {

    @Test
    void withoutTheOperatorsSettingsOneBufferIn1024IsWatchedWithoutATraceAtItsRelease() {
        Properties system = new Properties();
        GatewayApplication.sampleBufferLeaksSparingly(system);
        assertThat(system).containsEntry("io.netty.leakDetection.samplingInterval", "1024")
                .containsEntry("io.netty.leakDetection.trackClose", "false")
                .doesNotContainKey("io.netty.leakDetection.level");
    }

    @Test
    void theOperatorsSettingsAreKept() {
        Properties system = new Properties();
        system.setProperty("io.netty.leakDetection.samplingInterval", "1");
        system.setProperty("io.netty.leakDetection.trackClose", "true");
        GatewayApplication.sampleBufferLeaksSparingly(system);
        assertThat(system).containsEntry("io.netty.leakDetection.samplingInterval", "1")
                .containsEntry("io.netty.leakDetection.trackClose", "true");
    }
}
