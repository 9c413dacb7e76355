package com.llamagateway.gateway.routing;

import com.llamagateway.gateway.protocol.DialectName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The order in which a pool's members are tried: priority first, then weighted random, else configuration order. */
class ModelRouterTest {

    private static Deployment member(String name, int priority, Integer weight) {
        return new Deployment(name, DeploymentKind.SERVERLESS, URI.create("http://" + name), "k", "m", DialectName.V1, null, "v",
                new Deployment.Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1)), Deployment.DEFAULT_MAX_CONCURRENT,
                new Deployment.Capacity(400_000, 1_000),
                new Deployment.Preference(priority, weight), true);
    }

    private static List<String> names(List<Deployment> order) {
        return order.stream().map(Deployment::name).toList();
    }

    @Test
    void withoutWeightsThePoolKeepsItsConfigurationOrderWithinAPriority() {
        ModelRouter router = new ModelRouter(new DeploymentCatalog(List.of()), new Random(1));
        List<Deployment> pool = List.of(member("east", 0, null), member("west", 0, null), member("standby", 1, null));
        for (int i = 0; i < 100; i++) {
            assertThat(names(router.ordered(pool))).containsExactly("east", "west", "standby");
        }
        List<Deployment> reversed = List.of(member("standby", 1, null), member("east", 0, null), member("west", 0, null));
        assertThat(names(router.ordered(reversed))).as("priority before configuration order").containsExactly("east", "west", "standby");
    }

    @Test
    void weightsSayHowOftenAMemberComesFirstAndALowerPriorityAlwaysComesLater() {
        ModelRouter router = new ModelRouter(new DeploymentCatalog(List.of()), new Random(42));
        List<Deployment> pool = List.of(member("big", 0, 3), member("small", 0, null), member("standby", 1, 100));
        int bigFirst = 0;
        int draws = 20_000;
        for (int i = 0; i < draws; i++) {
            List<String> order = names(router.ordered(pool));
            assertThat(order).hasSize(3).containsExactlyInAnyOrder("big", "small", "standby");
            assertThat(order.get(2)).isEqualTo("standby");
            bigFirst += order.get(0).equals("big") ? 1 : 0;
        }
        // weight 3 against 1 (unset counts as 1): first 3/4 of the time; ± 0.02 is over six standard deviations
        assertThat(bigFirst / (double) draws).isBetween(0.73, 0.77);
    }
}
