package com.llamagateway.gateway.safety;

import com.llamagateway.gateway.protocol.CanonicalChunk;
import com.llamagateway.gateway.protocol.Operation;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Screens a streamed completion before the caller sees it: events are held back until their text has been
 * screened, window by window, and released as soon as it has — the caller gets early text without waiting for the
 * whole answer, and never any text a filter blocked.
 * <ul>
 *   <li>A choice's held text is screened once {@code window} new characters have arrived, when the choice finishes,
 *       and when the stream ends.</li>
 *   <li>After a screening, events are released in order except for the last {@code overlap} screened characters of
 *       each choice: they are screened again with the next window, so a blocked term up to {@code overlap}
 *       characters long that straddles two windows is caught before any of it is released.</li>
 *   <li>On a block the choice's held text is dropped and the choice ends with {@code finish_reason:
 *       "content_filter"} and {@code content_filter_results}; once every choice has ended the stream ends, which
 *       cancels the deployment's stream (usage is then counted from what it sent).</li>
 * </ul>
 * Memory is bounded by {@code window + overlap} characters per choice plus the events that carry them. One
 * instance per stream; its methods run one after the other (inside {@code concatMap}).
 */
public final class StreamHoldBack {

    /** How much of the released completion filters get as context. */
    private static final int PRECEDING_CONTEXT = 2_000;

    private final SafetyChain chain;
    private final Screening base;
    private final int window;
    private final int overlap;
    private final Deque<CanonicalChunk> held = new ArrayDeque<>();
    private final Map<Integer, ChoiceText> texts = new HashMap<>();
    private final Set<Integer> expected = new HashSet<>();
    private final Set<Integer> blocked = new HashSet<>();
    private final Set<Integer> finished = new HashSet<>();
    private final List<CanonicalChunk> ends = new ArrayList<>();
    private CanonicalChunk last;
    private CanonicalChunk cutAfter;

    /** @param choices how many choices the request asked for (n) */
    public StreamHoldBack(SafetyChain chain, Screening base, int window, int overlap, int choices) {
        this.chain = chain;
        this.base = base;
        this.window = window;
        this.overlap = overlap;
        for (int i = 0; i < Math.max(1, choices); i++) {
            expected.add(i);
        }
    }

    /** The screened stream: what the caller may see of {@code chunks}, in order. */
    public Flux<CanonicalChunk> apply(Flux<CanonicalChunk> chunks) {
        if (chain.isEmpty()) {
            return chunks;
        }
        return chunks.concatMap(this::offer)
                .concatWith(Flux.defer(this::flush))
                .takeUntil(chunk -> chunk == cutAfter);
    }

    private static final class ChoiceText {
        final StringBuilder held = new StringBuilder();
        final StringBuilder released = new StringBuilder();
        int screened;

        int unscreened() {
            return held.length() - screened;
        }
    }

    private Flux<CanonicalChunk> offer(CanonicalChunk received) {
        last = received;
        CanonicalChunk chunk = withoutBlocked(received);
        if (chunk == null) {
            return Flux.empty();
        }
        held.addLast(chunk);
        boolean due = false;
        for (CanonicalChunk.Choice choice : chunk.choices()) {
            expected.add(choice.index());
            ChoiceText text = texts.computeIfAbsent(choice.index(), i -> new ChoiceText());
            text.held.append(textOf(choice));
            if (choice.finishReason() != null) {
                finished.add(choice.index());
            }
            due |= text.unscreened() >= window || (choice.finishReason() != null && text.unscreened() > 0);
        }
        return due ? screenHeld().thenMany(Flux.defer(() -> release(false))) : release(false);
    }

    private Flux<CanonicalChunk> flush() {
        return screenHeld().thenMany(Flux.defer(() -> release(true)));
    }

    /** Screens every choice's held text that has not been screened yet (with what was already screened before it). */
    private Mono<Void> screenHeld() {
        List<Integer> indexes = texts.entrySet().stream().filter(e -> e.getValue().unscreened() > 0).map(Map.Entry::getKey).sorted().toList();
        return Flux.fromIterable(indexes)
                .flatMapSequential(index -> {
                    ChoiceText text = texts.get(index);
                    int upTo = text.held.length();
                    return chain.screen(base.judging(text.released.toString(), text.held.toString()))
                            .doOnNext(outcome -> {
                                if (outcome.blocked()) {
                                    block(index, outcome.block());
                                } else {
                                    text.screened = Math.max(text.screened, upTo);
                                }
                            });
                })
                .then();
    }

    /**
     * Releases held events from the head while their text is screened and enough screened text stays held behind
     * them ({@code all}: the stream has ended and everything is screened). Then the ends of blocked choices.
     */
    private Flux<CanonicalChunk> release(boolean all) {
        List<CanonicalChunk> out = new ArrayList<>();
        while (!held.isEmpty() && (all || releasable(held.peekFirst()))) {
            CanonicalChunk chunk = held.pollFirst();
            for (CanonicalChunk.Choice choice : chunk.choices()) {
                ChoiceText text = texts.get(choice.index());
                int length = textOf(choice).length();
                String released = text.held.substring(0, length);
                text.held.delete(0, length);
                text.screened = Math.max(0, text.screened - length);
                text.released.append(released);
                if (text.released.length() > PRECEDING_CONTEXT) {
                    text.released.delete(0, text.released.length() - PRECEDING_CONTEXT);
                }
            }
            out.add(chunk);
        }
        out.addAll(ends);
        ends.clear();
        boolean everyChoiceEnded = !blocked.isEmpty() && expected.stream().allMatch(i -> blocked.contains(i) || finished.contains(i));
        if (everyChoiceEnded && cutAfter == null) {
            while (!held.isEmpty()) { // finished choices are fully screened: what is left may go
                out.add(held.pollFirst());
            }
            if (!out.isEmpty()) {
                cutAfter = out.get(out.size() - 1);
            }
        }
        return Flux.fromIterable(out);
    }

    private boolean releasable(CanonicalChunk chunk) {
        for (CanonicalChunk.Choice choice : chunk.choices()) {
            ChoiceText text = texts.get(choice.index());
            int length = textOf(choice).length();
            if (length == 0) {
                continue; // a role, a finish: everything before it has gone already
            }
            boolean allScreened = text.screened == text.held.length();
            if (text.screened < length) {
                return false;
            }
            if (text.screened - length < overlap && !(finished.contains(choice.index()) && allScreened)) {
                return false;
            }
        }
        return true;
    }

    /** Drops a blocked choice's held text and events, and queues its content-filter end. */
    private void block(int index, Finding finding) {
        blocked.add(index);
        texts.remove(index);
        List<CanonicalChunk> kept = new ArrayList<>();
        for (CanonicalChunk chunk : held) {
            CanonicalChunk rest = withoutBlocked(chunk);
            if (rest != null) {
                kept.add(rest);
            }
        }
        held.clear();
        held.addAll(kept);
        boolean chat = last.operation() == Operation.CHAT;
        CanonicalChunk.Choice end = new CanonicalChunk.Choice(index, chat ? new CanonicalChunk.Delta(null, null, List.of()) : null,
                chat ? null : "", CompletionScreen.CONTENT_FILTER, null,
                new LinkedHashMap<>(Map.of(ContentFilterResults.FIELD, ContentFilterResults.of(finding))));
        ends.add(new CanonicalChunk(last.operation(), last.id(), last.created(), last.model(), List.of(end), null));
    }

    /** The chunk without the choices of blocked choices; null when nothing is left of it. */
    private CanonicalChunk withoutBlocked(CanonicalChunk chunk) {
        if (blocked.isEmpty() || chunk.choices().stream().noneMatch(c -> blocked.contains(c.index()))) {
            return chunk;
        }
        List<CanonicalChunk.Choice> kept = chunk.choices().stream().filter(c -> !blocked.contains(c.index())).toList();
        if (kept.isEmpty() && chunk.usage() == null && chunk.extras().isEmpty()) {
            return null;
        }
        return new CanonicalChunk(chunk.operation(), chunk.id(), chunk.created(), chunk.model(), kept, chunk.usage(), chunk.extras());
    }

    /** What a chunk adds to its choice's screened text: its text, and its tool-call fragments (a call's name on a line of its own). */
    private static String textOf(CanonicalChunk.Choice choice) {
        if (choice.text() != null) {
            return choice.text();
        }
        if (choice.delta() == null) {
            return "";
        }
        String content = choice.delta().content() != null ? choice.delta().content() : "";
        if (choice.delta().toolCalls().isEmpty()) {
            return content;
        }
        StringBuilder text = new StringBuilder(content);
        for (CanonicalChunk.ToolCallDelta call : choice.delta().toolCalls()) {
            if (call.name() != null) {
                text.append('\n').append(call.name()).append('\n');
            }
            if (call.arguments() != null) {
                text.append(call.arguments());
            }
        }
        return text.toString();
    }
}
