package com.llamagateway.simulator;

import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

import java.util.Optional;
import java.util.function.Function;

/** Applies a deployment's next queued {@link Fault}, if any, around the normal handling of a request. */
final class Faulty {

    private Faulty() {
    }

    /**
     * @param proceed the normal handling; its argument is the number of tokens after which a stream must drop its
     *                connection, or {@code null} for a stream that runs to its end
     */
    static Mono<ServerResponse> apply(SimulatedDeployment deployment, FaultStyle style, Function<Integer, Mono<ServerResponse>> proceed) {
        Optional<Fault> next = deployment.faults().next();
        if (next.isEmpty()) {
            return proceed.apply(null);
        }
        Fault fault = next.get();
        if (fault instanceof Fault.Status status) {
            java.util.Map<String, String> retryAfter = status.retryAfter() != null ? SimulatorHttp.retryAfter(status.retryAfter())
                    : status.status() == 429 ? java.util.Map.of("retry-after", "1") : java.util.Map.of();
            return style == FaultStyle.LLAMA
                    ? SimulatorHttp.llamaError(status.status(), "server_error", null, status.message(), retryAfter)
                    : SimulatorHttp.azureError(status.status(), String.valueOf(status.status()), status.message(), retryAfter);
        }
        if (fault instanceof Fault.Hang) {
            return Mono.never();
        }
        if (fault instanceof Fault.Delay delay) {
            return Mono.delay(delay.delay()).then(Mono.defer(() -> proceed.apply(null)));
        }
        // a non-streamed answer has no middle to drop the connection in: such a request is answered normally
        return proceed.apply(((Fault.DropMidStream) fault).afterTokens());
    }
}
