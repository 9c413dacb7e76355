package com.llamagateway.gateway.api;

import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.core.io.buffer.NettyDataBufferFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A stream's events as the response writes them: {@code data: <data>\n\n} in UTF-8, whatever the characters (ASCII,
 * Latin-1, CJK, emoji as surrogate pairs, a lone surrogate as String.getBytes writes it) and whether the buffers are
 * Netty's (pooled, direct) or plain heap buffers — byte for byte what {@code ("data: " + data + "\n\n").getBytes(UTF_8)}
 * gives.
 */
class StreamEventBufferTest {

    private static final List<String> DATA = List.of("", "[DONE]", "{\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}",
            "{\"content\":\"caf\u00e9 na\u00efve \u00fc\"}", "{\"content\":\"\u4f60\u597d\uff0c\u4e16\u754c\"}",
            "{\"content\":\"\ud83e\udd99 llama \ud83d\ude80\"}", "{\"content\":\"lone \ud800 surrogate\"}", "x".repeat(70_000));

    @Test
    void eventsAreFramedAndEncodedAsUtf8OnNettyBuffers() {
        NettyDataBufferFactory netty = new NettyDataBufferFactory(PooledByteBufAllocator.DEFAULT);
        for (String data : DATA) {
            assertEncoded(netty, data);
        }
    }

    @Test
    void eventsAreFramedAndEncodedAsUtf8OnHeapBuffers() {
        for (String data : DATA) {
            assertEncoded(DefaultDataBufferFactory.sharedInstance, data);
        }
    }

    private static void assertEncoded(DataBufferFactory buffers, String data) {
        DataBuffer event = CompletionHandler.event(buffers, data);
        try {
            byte[] written = new byte[event.readableByteCount()];
            event.read(written);
            assertThat(written).as(data.length() > 80 ? data.substring(0, 80) : data)
                    .isEqualTo(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        } finally {
            DataBufferUtils.release(event);
        }
    }
}
