package com.llamagateway.gateway.safety;

import com.llamagateway.gateway.config.GatewayProperties.FailureMode;
import com.llamagateway.gateway.reactive.Timeouts;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The filters of one direction of a model's policy, run concurrently on a screening. Each filter has its own
 * timeout and failure mode; the first block in chain order decides, annotations are all kept.
 * <p>
 * Meters: {@code gateway.safety.screenings} (timer; tags {@code filter}, {@code direction}, {@code verdict}: allow |
 * block | annotate | failure), {@code gateway.safety.blocks} and {@code gateway.safety.annotations} (tags
 * {@code filter}, {@code direction}, {@code category}), {@code gateway.safety.failures} (tags {@code filter},
 * {@code direction}, {@code outcome}: refused | passed). Blocks and failures are logged with the request id, team,
 * model, filter and category — never the text.
 */
public final class SafetyChain {

    private static final Logger log = LoggerFactory.getLogger(SafetyChain.class);
    private static final int MAX_TAG_LENGTH = 64;

    /** One filter of the chain with its configured timeout and failure mode. */
    public record Member(String name, SafetyFilter filter, Duration timeout, FailureMode onFailure) {
    }

    /**
     * A filter's verdict, or why it could not give one ({@code failure}): then the verdict is allow for a
     * fail-open filter and null for a fail-closed one.
     */
    private record Result(Member member, Verdict verdict, String failure) {
    }

    /** The {@code verdict} tag's values. */
    private static final String[] KINDS = {"allow", "block", "annotate", "failure"};

    private final List<Member> members;
    private final MeterRegistry meters;
    /** By member, direction and verdict kind ({@link #timer}). */
    private final AtomicReferenceArray<Timer> timers;

    public SafetyChain(List<Member> members, MeterRegistry meters) {
        this.members = List.copyOf(members);
        this.meters = meters;
        this.timers = new AtomicReferenceArray<>(this.members.size() * Screening.Direction.values().length * KINDS.length);
    }

    public boolean isEmpty() {
        return members.isEmpty();
    }

    public List<String> names() {
        return members.stream().map(Member::name).toList();
    }

    public Mono<Outcome> screen(Screening screening) {
        if (members.isEmpty()) {
            return Mono.just(Outcome.PASS);
        }
        if (members.size() == 1) {
            return one(0, screening).map(result -> conclude(List.of(result), screening));
        }
        List<Mono<Result>> each = new ArrayList<>(members.size());
        for (int i = 0; i < members.size(); i++) {
            each.add(one(i, screening));
        }
        return Flux.mergeSequential(each).collectList().map(results -> conclude(results, screening));
    }

    private Mono<Result> one(int index, Screening screening) {
        Member member = members.get(index);
        long started = System.nanoTime();
        return Mono.defer(() -> {
            Mono<Verdict> screened = member.filter().screen(screening);
            if (screened instanceof Callable<?> now) { // answered on this thread (fromCallable, just): no timer to schedule and cancel
                return Mono.just(judgedNow(member, screening, now, started));
            }
            return Timeouts.within(screened.switchIfEmpty(Mono.error(SafetyChain::noVerdict)), member.timeout(), "no verdict")
                    .map(given -> new Result(member, given, null));
        }).onErrorResume(error -> Mono.just(failure(member, screening, error)))
                .doOnNext(result -> timer(index, screening.direction(), result).record(System.nanoTime() - started, TimeUnit.NANOSECONDS));
    }

    /** A filter's synchronous verdict, held to its timeout as the timer holds one that answers later. */
    private Result judgedNow(Member member, Screening screening, Callable<?> now, long started) {
        Throwable error;
        try {
            Object verdict = now.call();
            error = System.nanoTime() - started > member.timeout().toNanos() ? new TimeoutException()
                    : verdict == null ? noVerdict() : null;
            if (error == null) {
                return new Result(member, (Verdict) verdict, null);
            }
        } catch (Exception e) {
            error = e;
        }
        return failure(member, screening, error);
    }

    private static IllegalStateException noVerdict() {
        return new IllegalStateException("the filter gave no verdict");
    }

    /** The {@code gateway.safety.screenings} timer of a member, direction and verdict, registered at its first use. */
    private Timer timer(int member, Screening.Direction direction, Result result) {
        int kind = kind(result);
        int slot = (member * Screening.Direction.values().length + direction.ordinal()) * KINDS.length + kind;
        Timer timer = timers.get(slot);
        if (timer == null) {
            timer = Timer.builder("gateway.safety.screenings")
                    .tags("filter", members.get(member).name(), "direction", direction.label(), "verdict", KINDS[kind])
                    .register(meters);
            timers.set(slot, timer); // a race registers the same meter twice: the registry gives back the one it has
        }
        return timer;
    }

    /** A failed screening: a block by the filter (closed) or a pass (open), counted and logged either way. */
    private Result failure(Member member, Screening screening, Throwable error) {
        boolean closed = member.onFailure() == FailureMode.CLOSED;
        String what = error instanceof TimeoutException ? "no verdict within " + member.timeout().toMillis() + " ms"
                : error instanceof FilterFailure failure ? failure.getMessage() : error.getClass().getSimpleName();
        meters.counter("gateway.safety.failures", "filter", member.name(), "direction", screening.direction().label(),
                "outcome", closed ? "refused" : "passed").increment();
        log.warn("Content-safety filter {} failed on the {} of request {} (team {}, model {}): {}; {}", member.name(),
                screening.direction().label(), screening.requestId(), screening.teamId(), screening.model(), what,
                closed ? "refused (on-failure: closed)" : "let through (on-failure: open)");
        return new Result(member, closed ? null : Verdict.allow(), what);
    }

    private Outcome conclude(List<Result> results, Screening screening) {
        Finding block = null;
        List<Finding> annotations = new ArrayList<>();
        for (Result result : results) {
            String name = result.member().name();
            if (result.verdict() == null && block == null) {
                block = new Finding(name, Finding.UNAVAILABLE, null, result.failure());
            } else if (result.verdict() instanceof Verdict.Block b && block == null) {
                block = new Finding(name, b.category(), b.severity(), b.reason());
            } else if (result.verdict() instanceof Verdict.Annotate a) {
                annotations.add(new Finding(name, a.category(), a.severity(), a.reason()));
            }
        }
        if (block != null && !block.unavailable()) {
            meters.counter("gateway.safety.blocks", "filter", block.filter(), "direction", screening.direction().label(),
                    "category", tag(block.category())).increment();
            log.info("Content blocked on the {} of request {} (team {}, model {}): filter {}, category {}, severity {}",
                    screening.direction().label(), screening.requestId(), screening.teamId(), screening.model(),
                    block.filter(), block.category(), block.severity());
        }
        for (Finding annotation : annotations) {
            meters.counter("gateway.safety.annotations", "filter", annotation.filter(), "direction", screening.direction().label(),
                    "category", tag(annotation.category())).increment();
        }
        return new Outcome(block, annotations);
    }

    /** The index in {@link #KINDS} of a result's verdict. */
    private static int kind(Result result) {
        if (result.failure() != null) {
            return 3;
        }
        if (result.verdict() instanceof Verdict.Block) {
            return 1;
        }
        if (result.verdict() instanceof Verdict.Annotate) {
            return 2;
        }
        return 0;
    }

    /** Categories come from filters (a webhook's are anyone's): bounded before they become a meter tag. */
    private static String tag(String category) {
        String value = category == null ? "none" : category;
        return value.length() > MAX_TAG_LENGTH ? value.substring(0, MAX_TAG_LENGTH) : value;
    }
}
