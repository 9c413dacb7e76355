package com.llamagateway.gateway.safety;

import com.llamagateway.gateway.config.GatewayProperties.FailureMode;
import com.llamagateway.gateway.protocol.CanonicalChunk;
import com.llamagateway.gateway.protocol.Operation;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The hold-back window on canonical chunks, emitted one by one so that what is released when can be observed. */
class StreamHoldBackTest {

    private static final int WINDOW = 40;
    private static final int OVERLAP = 16;

    private final SafetyChain chain = new SafetyChain(List.of(new SafetyChain.Member("blocklist",
            new BlocklistFilter("blocked_term", List.of("secret code"), List.of(), 1_000_000_000L), Duration.ofSeconds(1), FailureMode.CLOSED)),
            new SimpleMeterRegistry());
    private final Screening base = Screening.input("req", "team", "m", List.of(new Screening.Message("user", "hi"))).judging("", "");

    private static CanonicalChunk delta(int index, String content, String finish) {
        return new CanonicalChunk(Operation.CHAT, "id", 1, "m",
                List.of(new CanonicalChunk.Choice(index, new CanonicalChunk.Delta(null, content, List.of()), null, finish, null)), null);
    }

    private static String text(List<CanonicalChunk> chunks, int index) {
        return chunks.stream().flatMap(c -> c.choices().stream()).filter(c -> c.index() == index)
                .map(c -> c.delta().content() == null ? "" : c.delta().content()).collect(Collectors.joining());
    }

    /** Feeds the words one chunk each and records what was released after each of them. */
    private record Run(List<CanonicalChunk> released, List<Integer> releasedCharsAfterEach, AtomicBoolean upstreamCancelled) {
    }

    private Run run(List<String> words, int choices) {
        Sinks.Many<CanonicalChunk> upstream = Sinks.many().unicast().onBackpressureBuffer();
        AtomicBoolean cancelled = new AtomicBoolean();
        List<CanonicalChunk> released = new CopyOnWriteArrayList<>();
        new StreamHoldBack(chain, base, WINDOW, OVERLAP, choices).apply(upstream.asFlux().doOnCancel(() -> cancelled.set(true)))
                .subscribe(released::add);
        List<Integer> after = new java.util.ArrayList<>();
        for (String word : words) {
            upstream.tryEmitNext(delta(0, word, null));
            after.add(text(released, 0).length());
        }
        upstream.tryEmitNext(delta(0, null, "stop"));
        upstream.tryEmitComplete();
        return new Run(released, after, cancelled);
    }

    @Test
    void cleanTextIsReleasedWindowByWindowAndArrivesWhole() {
        List<String> words = Flux.range(1, 40).map(i -> "word" + i + " ").collectList().block();
        Run run = run(words, 1);
        String all = String.join("", words);
        assertThat(text(run.released(), 0)).isEqualTo(all);
        assertThat(run.released().get(run.released().size() - 1).choices().get(0).finishReason()).isEqualTo("stop");
        int halfway = run.releasedCharsAfterEach().get(19);
        System.out.println("Released after each of 40 chunks (chars): " + run.releasedCharsAfterEach());
        assertThat(halfway).as("text released before the end").isGreaterThan(0);
        for (int i = 0; i < words.size(); i++) {
            int emitted = String.join("", words.subList(0, i + 1)).length();
            assertThat(run.releasedCharsAfterEach().get(i)).as("never more than the screened text minus the overlap")
                    .isLessThanOrEqualTo(Math.max(0, emitted - OVERLAP));
        }
    }

    @Test
    void aBlockedTermStraddlingTwoWindowsNeverHalfReachesTheCaller() {
        // "secret code" arrives across chunks; the window fills in the middle of it
        List<String> words = List.of("The ", "value ", "you ", "asked ", "about ", "is ", "the ", "sec", "ret ", "co", "de: ", "12345 ", "and ", "more ", "text ");
        Run run = run(words, 1);
        String received = text(run.released(), 0);
        assertThat(received).doesNotContain("sec").doesNotContain("12345");
        assertThat("The value you asked about is the ").startsWith(received);
        CanonicalChunk last = run.released().get(run.released().size() - 1);
        assertThat(last.choices().get(0).finishReason()).isEqualTo("content_filter");
        assertThat(last.choices().get(0).extras().get("content_filter_results").get("blocked_term").get("filter").asString()).isEqualTo("blocklist");
        assertThat(run.upstreamCancelled()).as("the deployment's stream is cancelled").isTrue();
    }

    @Test
    void oneBlockedChoiceEndsAloneWhileTheOtherRunsToItsEnd() {
        Sinks.Many<CanonicalChunk> upstream = Sinks.many().unicast().onBackpressureBuffer();
        List<CanonicalChunk> released = new CopyOnWriteArrayList<>();
        new StreamHoldBack(chain, base, WINDOW, OVERLAP, 2).apply(upstream.asFlux()).subscribe(released::add);
        for (int i = 0; i < 12; i++) {
            upstream.tryEmitNext(delta(0, "fine" + i + " ", null));
            upstream.tryEmitNext(delta(1, i == 5 ? "secret code " : "ok" + i + " ", null));
        }
        AtomicBoolean cutAfterTheLastChoiceEnded = new AtomicBoolean(released.stream().anyMatch(c -> c.choices().stream()
                .anyMatch(choice -> "stop".equals(choice.finishReason()))));
        upstream.tryEmitNext(delta(0, null, "stop")); // every choice has ended: the deployment need not generate the blocked one further
        upstream.tryEmitNext(delta(1, null, "stop"));
        upstream.tryEmitComplete();
        assertThat(cutAfterTheLastChoiceEnded).as("nothing had ended before").isFalse();
        assertThat(text(released, 0)).isEqualTo(Flux.range(0, 12).map(i -> "fine" + i + " ").collectList().map(l -> String.join("", l)).block());
        assertThat(text(released, 1)).doesNotContain("secret");
        assertThat(released.stream().flatMap(c -> c.choices().stream()).filter(c -> c.index() == 1).map(CanonicalChunk.Choice::finishReason)
                .filter(java.util.Objects::nonNull).toList()).containsExactly("content_filter");
        CanonicalChunk last = released.get(released.size() - 1);
        assertThat(last.choices()).singleElement().satisfies(c -> {
            assertThat(c.index()).isZero();
            assertThat(c.finishReason()).isEqualTo("stop");
        });
    }
}
