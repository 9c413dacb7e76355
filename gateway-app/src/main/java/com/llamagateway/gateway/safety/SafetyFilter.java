package com.llamagateway.gateway.safety;

import reactor.core.publisher.Mono;

/**
 * A content-safety filter: judges a prompt or a piece of a completion. Implementations are Spring beans (or
 * configured instances of a built-in type) chosen by name in {@code gateway.safety}; see docs/content-safety.md.
 * <p>
 * A filter must not block the calling thread for I/O: call services reactively. Errors and answers later than the
 * filter's {@code timeout} are failures, which its {@code on-failure} mode turns into a refusal or a pass. A filter
 * that judges in memory returns {@code Mono.fromCallable(…)}: it is judged at once on the calling thread, without a
 * timer, and a verdict that took longer than the timeout is a failure all the same.
 */
@FunctionalInterface
public interface SafetyFilter {

    /** The verdict on {@link Screening#text()} (with the rest of the screening as context). */
    Mono<Verdict> screen(Screening screening);
}
