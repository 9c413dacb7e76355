package com.llamagateway.gateway.resilience;

import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.routing.Deployment;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * At most {@code max-concurrent} requests in flight on each deployment (Resilience4j bulkheads, no waiting): a
 * non-streamed call holds its place until it is answered, a stream until its last event, its failure or its
 * cancellation. A deployment that is full is not offered to admission; one that fills up between admission and the
 * call fails the attempt with 503 {@code deployment_busy}, which fails over like the deployment's own failures but
 * counts nothing against it (no breaker failure, no cool-down). So one slow deployment cannot hold every connection
 * and every request of the gateway.
 */
public final class DeploymentBulkheads {

    private final Map<String, Bulkhead> bulkheads = new ConcurrentHashMap<>();
    private final MeterRegistry registry;

    /** @param registry where {@code gateway.deployment.in-flight} and {@code gateway.deployment.busy} (per deployment) go */
    public DeploymentBulkheads(MeterRegistry registry) {
        this.registry = registry;
    }

    public Bulkhead of(Deployment deployment) {
        return bulkheads.computeIfAbsent(deployment.name(), name -> {
            Bulkhead bulkhead = Bulkhead.of("deployment-" + name, BulkheadConfig.custom()
                    .maxConcurrentCalls(deployment.maxConcurrent()).maxWaitDuration(Duration.ZERO).writableStackTraceEnabled(false).build());
            Gauge.builder("gateway.deployment.in-flight", bulkhead, DeploymentBulkheads::inFlight)
                    .tag("deployment", name).description("requests in flight on the deployment, streams until they end").register(registry);
            Counter busy = Counter.builder("gateway.deployment.busy").tag("deployment", name)
                    .description("attempts turned away because the deployment had max-concurrent requests in flight").register(registry);
            bulkhead.getEventPublisher().onCallRejected(event -> busy.increment());
            return bulkhead;
        });
    }

    /** Requests in flight on the bulkhead's deployment (streams until they end). */
    static int inFlight(Bulkhead bulkhead) {
        return bulkhead.getBulkheadConfig().getMaxConcurrentCalls() - bulkhead.getMetrics().getAvailableConcurrentCalls();
    }

    /** The members admission may pick: those with room for one more request, or every one when none has. */
    public List<Deployment> offer(List<Deployment> candidates) {
        List<Deployment> offered = new ArrayList<>(candidates.size());
        for (Deployment d : candidates) {
            if (of(d).getMetrics().getAvailableConcurrentCalls() > 0) {
                offered.add(d);
            }
        }
        return offered.isEmpty() ? candidates : offered;
    }

    /** A non-streamed call, holding its place on the deployment until it is answered, fails or is cancelled. */
    public <T> Mono<T> held(Deployment deployment, Mono<T> call) {
        return Mono.defer(() -> {
            Bulkhead bulkhead = of(deployment);
            if (!bulkhead.tryAcquirePermission()) {
                return Mono.error(busy(deployment));
            }
            return call.doFinally(signal -> bulkhead.onComplete());
        });
    }

    /**
     * A stream, holding its place until its events end: the call fails or is cancelled before answering, or the
     * events it answered with complete, fail or are cancelled — whichever comes first, once. Wrap the deployment's own
     * events (those the upstream client's timeouts end), not a view a subscriber may never take.
     */
    public <T> Mono<Flux<T>> heldUntilEnd(Deployment deployment, Mono<Flux<T>> call) {
        return Mono.defer(() -> {
            Bulkhead bulkhead = of(deployment);
            if (!bulkhead.tryAcquirePermission()) {
                return Mono.error(busy(deployment));
            }
            AtomicBoolean released = new AtomicBoolean();
            Runnable release = () -> {
                if (released.compareAndSet(false, true)) {
                    bulkhead.onComplete();
                }
            };
            return call.doOnError(error -> release.run()).doOnCancel(release)
                    .switchIfEmpty(Mono.fromRunnable(release))
                    .map(events -> events.doFinally(signal -> release.run()));
        });
    }

    /**
     * A place on the deployment for a call whose end the caller tells (pass-through): the returned action gives it
     * back, once, however often it runs.
     *
     * @throws GatewayError 503 {@code deployment_busy} when the deployment has no place left
     */
    public Runnable enter(Deployment deployment) {
        Bulkhead bulkhead = of(deployment);
        if (!bulkhead.tryAcquirePermission()) {
            throw busy(deployment);
        }
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                bulkhead.onComplete();
            }
        };
    }

    /** Whether the attempt was turned away by a full bulkhead (the deployment was not called). */
    public static boolean busy(Throwable error) {
        return error instanceof GatewayError e && ErrorCode.DEPLOYMENT_BUSY.equals(e.code());
    }

    private static GatewayError busy(Deployment deployment) {
        return new GatewayError(HttpStatus.SERVICE_UNAVAILABLE, ErrorCode.DEPLOYMENT_BUSY, "The model's deployment has as many requests in flight "
                + "as the gateway allows it (max-concurrent " + deployment.maxConcurrent() + "); retry after the time in Retry-After.",
                null, Map.of("Retry-After", "1"));
    }
}
