package com.llamagateway.gateway.resilience;

import com.llamagateway.gateway.routing.Deployment;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Outlier ejection per deployment (Resilience4j circuit breakers, as Envoy's consecutive-5xx detection): after
 * {@code failures} attempts in a row failed in a way that is the deployment's ({@link Failover#retryable}), the
 * deployment is ejected — admission does not pick it — for {@code ejection}, doubling with each ejection that
 * follows a failed probe up to {@code max-ejection}; then one request probes it, and one success brings it back.
 * Any answer counts as a success, a refusal of the request (400, 422) included: the deployment is well.
 * <p>
 * Admission is offered only the members that are not ejected; when every member is, it is offered all of them rather
 * than the request refused.
 */
public final class DeploymentBreakers {

    private static final Logger log = LoggerFactory.getLogger(DeploymentBreakers.class);

    private final CircuitBreakerConfig config;
    private final Map<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();
    /** deployment → when its ejection ends (System.nanoTime()), while it is ejected */
    private final Map<String, Long> ejectionEnds = new ConcurrentHashMap<>();
    /** deployment → ejections in a row (each after a failed probe lasts twice the last) */
    private final Map<String, Integer> ejectionsInARow = new ConcurrentHashMap<>();
    /** the breakers' wait in the open state, by ejections in a row: also what tells when an ejection ends */
    private final IntervalFunction ejectionLength;
    private final MeterRegistry registry;

    /**
     * @param registry where each deployment's {@code gateway.deployment.breaker.state} gauge (0 closed, 1 half open:
     *                 probing, 2 open: ejected) and {@code gateway.deployment.ejections} counter go
     */
    public DeploymentBreakers(ResilienceProperties.Breaker properties, MeterRegistry registry) {
        this.registry = registry;
        this.ejectionLength = IntervalFunction.ofExponentialBackoff(properties.ejection(), 2.0, properties.maxEjection());
        this.config = CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(properties.failures())
                .minimumNumberOfCalls(properties.failures())
                .failureRateThreshold(100)
                .permittedNumberOfCallsInHalfOpenState(1)
                .waitIntervalFunctionInOpenState(ejectionLength)
                .automaticTransitionFromOpenToHalfOpenEnabled(true) // admission sees the ejection end without a call
                .writableStackTraceEnabled(false)
                .build();
    }

    public CircuitBreaker of(Deployment deployment) {
        return breakers.computeIfAbsent(deployment.name(), name -> {
            CircuitBreaker breaker = CircuitBreaker.of("deployment-" + name, config);
            Gauge.builder("gateway.deployment.breaker.state", breaker, DeploymentBreakers::stateValue).tag("deployment", name)
                    .description("0 closed, 1 half open (probing), 2 open (ejected)").register(registry);
            Counter ejections = Counter.builder("gateway.deployment.ejections").tag("deployment", name).register(registry);
            breaker.getEventPublisher().onStateTransition(event -> {
                CircuitBreaker.State to = event.getStateTransition().getToState();
                if (to == CircuitBreaker.State.OPEN) {
                    ejections.increment();
                    int inARow = ejectionsInARow.merge(name, 1, (before, one) ->
                            event.getStateTransition().getFromState() == CircuitBreaker.State.HALF_OPEN ? before + 1 : 1);
                    ejectionEnds.put(name, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ejectionLength.apply(inARow)));
                } else {
                    ejectionEnds.remove(name);
                    if (to == CircuitBreaker.State.CLOSED) {
                        ejectionsInARow.remove(name);
                    }
                }
            });
            breaker.getEventPublisher().onStateTransition(event -> log.info("Deployment {}: {}", name,
                    switch (event.getStateTransition().getToState()) {
                        case OPEN -> "ejected after failing " + config.getSlidingWindowSize() + " times in a row";
                        case HALF_OPEN -> "ejection over, the next request probes it";
                        case CLOSED -> "back in rotation";
                        default -> "breaker " + event.getStateTransition();
                    }));
            return breaker;
        });
    }

    private static double stateValue(CircuitBreaker breaker) {
        return switch (breaker.getState()) {
            case CLOSED, DISABLED, METRICS_ONLY -> 0;
            case HALF_OPEN -> 1;
            default -> 2;
        };
    }

    /**
     * The members admission may pick: those not ejected, or — when all of them are — every one, the one whose
     * ejection ends first first.
     */
    public List<Deployment> offer(List<Deployment> candidates) {
        List<Deployment> offered = new ArrayList<>(candidates.size());
        for (Deployment d : candidates) {
            CircuitBreaker.State state = of(d).getState();
            if (state == CircuitBreaker.State.CLOSED || state == CircuitBreaker.State.HALF_OPEN) {
                offered.add(d);
            }
        }
        if (!offered.isEmpty()) {
            return offered;
        }
        List<Deployment> soonestFirst = new ArrayList<>(candidates);
        soonestFirst.sort(java.util.Comparator.comparingLong(d -> ejectionEnds.getOrDefault(d.name(), Long.MIN_VALUE) - System.nanoTime()));
        return soonestFirst;
    }

    /**
     * One call's outcome, for the deployment's breaker: the call takes a permission if the breaker gives one (an
     * attempt it does not let through — every member was ejected, or another request took the one probe of a
     * deployment coming back — still goes out, unrecorded); then exactly one of {@link #succeeded}, {@link #failed} or
     * {@link #released} tells how it went, once.
     */
    public static final class Attempt {
        private final CircuitBreaker breaker;
        private final boolean recorded;
        private final long started = System.nanoTime();
        private final AtomicBoolean told = new AtomicBoolean();

        private Attempt(CircuitBreaker breaker) {
            this.breaker = breaker;
            this.recorded = breaker.tryAcquirePermission();
        }

        /** The deployment answered. */
        public void succeeded() {
            if (tell()) {
                breaker.onSuccess(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            }
        }

        /**
         * The call failed: a failure of the deployment ({@link Failover#retryable}) counts against it; a full bulkhead
         * says nothing (it was never called); anything else is the request's fault, a success for the deployment.
         */
        public void failed(Throwable error) {
            if (!tell()) {
                return;
            }
            long took = System.nanoTime() - started;
            if (DeploymentBulkheads.busy(error)) {
                breaker.releasePermission();
            } else if (Failover.retryable(error)) {
                breaker.onError(took, TimeUnit.NANOSECONDS, error);
            } else {
                breaker.onSuccess(took, TimeUnit.NANOSECONDS);
            }
        }

        /** The call ended without saying anything about the deployment (its client left, the gateway refused it). */
        public void released() {
            if (tell()) {
                breaker.releasePermission();
            }
        }

        private boolean tell() {
            return recorded && told.compareAndSet(false, true);
        }
    }

    /** A call to the deployment starts now (see {@link Attempt}). */
    public Attempt attempt(Deployment deployment) {
        return new Attempt(of(deployment));
    }

    /** One attempt on the deployment, its outcome recorded: {@code call} completes when the deployment has answered (or failed). */
    public <T> Mono<T> recorded(Deployment deployment, Mono<T> call) {
        return Mono.defer(() -> {
            Attempt attempt = attempt(deployment);
            return attempt.recorded ? call.doOnSuccess(value -> attempt.succeeded()).doOnError(attempt::failed).doOnCancel(attempt::released) : call;
        });
    }
}
