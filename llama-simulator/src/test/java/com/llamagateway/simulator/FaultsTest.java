package com.llamagateway.simulator;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FaultsTest {

    @Test
    void aShareOfRequestsFailsAfterTheQueuedFaultsUntilCleared() {
        Faults faults = new Faults().failNext(500, 2).failShare(503, 0.5, 42);
        assertThat(faults.next()).get().isEqualTo(new Fault.Status(500, "Simulated failure with status 500"));
        assertThat(faults.next()).get().isEqualTo(new Fault.Status(500, "Simulated failure with status 500"));
        int failed = 0;
        for (int i = 0; i < 2_000; i++) {
            if (faults.next().isPresent()) {
                failed++;
            }
        }
        assertThat(failed).as("about half of 2,000").isBetween(900, 1_100);
        Faults again = new Faults().failShare(503, 0.5, 42);
        int same = 0;
        for (int i = 0; i < 2_000; i++) {
            if (again.next().isPresent()) {
                same++;
            }
        }
        assertThat(same).as("the same seed, the same failures").isEqualTo(failed);
        faults.clear();
        assertThat(faults.next()).isEmpty();
    }
}
