package com.llamagateway.gateway.protocol;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Frames joined for one write are the bytes of the frames one after the other. */
class EventFramesTest {

    private static byte[] frame(String data) {
        return ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void noFramesJoinToNothing() {
        assertThat(EventFrames.joined(List.of())).isEmpty();
    }

    @Test
    void oneFrameIsItself() {
        byte[] one = frame("{\"a\":1}");
        assertThat(EventFrames.joined(List.of(one))).isSameAs(one);
    }

    @Test
    void framesJoinInOrderByteForByte() {
        byte[] joined = EventFrames.joined(List.of(frame("{\"a\":1}"), frame("{\"b\":\"é😀\"}"), EventFrames.DONE));
        assertThat(new String(joined, StandardCharsets.UTF_8)).isEqualTo("data: {\"a\":1}\n\ndata: {\"b\":\"é😀\"}\n\ndata: [DONE]\n\n");
    }
}
