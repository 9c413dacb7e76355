package com.llamagateway.gateway;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

class RandomIdsTest {

    @Test
    void aUuidIsARandomVersion4UuidsText() {
        for (int i = 0; i < 1_000; i++) {
            String id = RandomIds.uuid();
            UUID parsed = UUID.fromString(id);
            assertThat(parsed.toString()).isEqualTo(id);
            assertThat(parsed.version()).isEqualTo(4);
            assertThat(parsed.variant()).isEqualTo(2);
        }
    }

    @Test
    void hex32IsTheSameWithoutHyphens() {
        for (int i = 0; i < 1_000; i++) {
            String id = RandomIds.hex32();
            assertThat(id).matches("[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}");
            UUID parsed = UUID.fromString(id.replaceFirst("(.{8})(.{4})(.{4})(.{4})(.{12})", "$1-$2-$3-$4-$5"));
            assertThat(parsed.version()).isEqualTo(4);
        }
    }

    @Test
    void idsFromManyThreadsAreAllDifferent() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Callable<List<String>>> work = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                work.add(() -> {
                    List<String> ids = new ArrayList<>();
                    for (int i = 0; i < 25_000; i++) {
                        ids.add(i % 2 == 0 ? RandomIds.uuid() : RandomIds.hex32().replaceFirst("(.{8})(.{4})(.{4})(.{4})(.{12})", "$1-$2-$3-$4-$5"));
                    }
                    return ids;
                });
            }
            Set<String> all = new HashSet<>();
            for (Future<List<String>> ids : threads.invokeAll(work)) {
                all.addAll(ids.get());
            }
            assertThat(all).hasSize(200_000);
        } finally {
            threads.shutdownNow();
        }
    }

    /** Each of the 122 random bits is set in about half the ids (10,000 ids: 5,000 ± 50 expected; the bound is 20 of those). */
    @Test
    void everyRandomBitVaries() {
        int[] set = new int[128];
        int ids = 10_000;
        for (int i = 0; i < ids; i++) {
            UUID id = UUID.fromString(RandomIds.uuid());
            for (int bit = 0; bit < 64; bit++) {
                set[bit] += (int) ((id.getMostSignificantBits() >>> bit) & 1);
                set[64 + bit] += (int) ((id.getLeastSignificantBits() >>> bit) & 1);
            }
        }
        for (int bit = 0; bit < 128; bit++) {
            boolean fixed = (bit >= 12 && bit < 16) || bit >= 126; // the version's nibble, the variant's two bits
            if (!fixed) {
                assertThat(set[bit]).as("bit %d", bit).isBetween(4_000, 6_000);
            }
        }
    }
}
