package com.llamagateway.gateway.pipeline;

import com.llamagateway.gateway.protocol.BackendDialect;
import com.llamagateway.gateway.protocol.BackendDialects;
import com.llamagateway.gateway.protocol.BackendRequest;
import com.llamagateway.gateway.protocol.CallerDialect;
import com.llamagateway.gateway.protocol.CanonicalChunk;
import com.llamagateway.gateway.protocol.CanonicalRequest;
import com.llamagateway.gateway.protocol.EventFrames;
import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.protocol.OpenAiShape;
import com.llamagateway.gateway.protocol.Operation;
import com.llamagateway.gateway.protocol.Usage;
import com.llamagateway.gateway.protocol.StreamEncoder;
import com.llamagateway.gateway.protocol.SyntheticStream;
import com.llamagateway.gateway.quota.Admission;
import com.llamagateway.gateway.quota.Reservation;
import com.llamagateway.gateway.resilience.CoolDowns;
import com.llamagateway.gateway.resilience.DeploymentBreakers;
import com.llamagateway.gateway.resilience.DeploymentBulkheads;
import com.llamagateway.gateway.resilience.Failover;
import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.routing.ModelRouter;
import com.llamagateway.gateway.safety.CompletionScreen;
import com.llamagateway.gateway.safety.ContentFilterResults;
import com.llamagateway.gateway.safety.Finding;
import com.llamagateway.gateway.safety.SafetyPolicy;
import com.llamagateway.gateway.safety.Screening;
import com.llamagateway.gateway.safety.StreamHoldBack;
import com.llamagateway.gateway.tokens.UsageCompletion;
import com.llamagateway.gateway.upstream.FirstEvent;
import com.llamagateway.gateway.upstream.UpstreamClient;
import com.llamagateway.gateway.usage.RequestUsage;
import com.llamagateway.gateway.usage.UsageRecord.Outcome;
import com.llamagateway.gateway.usage.UsageRecorder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The path of a completion request, one stage after the other:
 * <pre>
 * decode (caller dialect → canonical) → route (model → pool, if the team may use it)
 *   → admit (reserve on the team's allowance and on a deployment of the pool with room: the deployment)
 *   → screen in (the model's input chain; a block refunds and refuses) → encode for the deployment → call upstream
 *     (the deployment fails before answering: refund, cool it down if it asked for a wait, admit on the pool's
 *      untried members, encode, call again)
 *   → complete usage → settle the reservation → screen out (the output chain; streams in a hold-back window)
 *   → encode (caller dialect) → record (the usage ledger's row and the GenAI meters, when the answer or stream ends)
 * </pre>
 * Every admitted request is settled exactly once: with the usage of its answer (a stream's final usage, or what it
 * streamed before it was cut short, a content-filter cut included) or, when the deployment served nothing, refunded;
 * and recorded once, with the usage it was settled with.
 */
public final class CompletionPipeline {

    private static final Logger log = LoggerFactory.getLogger(CompletionPipeline.class);
    /** Names the deployment that served the answer. */
    public static final String DEPLOYMENT_HEADER = "x-gateway-deployment";

    private final ModelRouter router;
    private final Admission admission;
    private final BackendDialects backends;
    private final UpstreamClient upstream;
    private final UsageCompletion usage;
    private final SafetyPolicy safety;
    private final Json json;
    private final Failover failover;
    private final DeploymentBreakers breakers;
    private final CoolDowns coolDowns;
    private final DeploymentBulkheads bulkheads;
    private final UsageRecorder recorder;

    public CompletionPipeline(ModelRouter router, Admission admission, BackendDialects backends, UpstreamClient upstream,
                              UsageCompletion usage, SafetyPolicy safety, Json json, Failover failover, DeploymentBreakers breakers,
                              CoolDowns coolDowns, DeploymentBulkheads bulkheads, UsageRecorder recorder) {
        this.recorder = recorder;
        this.failover = failover;
        this.breakers = breakers;
        this.coolDowns = coolDowns;
        this.bulkheads = bulkheads;
        this.router = router;
        this.admission = admission;
        this.backends = backends;
        this.upstream = upstream;
        this.usage = usage;
        this.safety = safety;
        this.json = json;
    }

    /**
     * What every stage after admission knows about the request.
     *
     * @param safety      the model's content-safety chains
     * @param screening   the request as the filters see it
     * @param annotations what the input chain noted without blocking
     * @param usage       what the ledger and the meters will know of it
     */
    record Exchange(Inbound inbound, CanonicalRequest request, ModelRouter.Route route, Failover.Attempts attempts,
                    Deployment deployment, BackendDialect backend, Reservation reservation,
                    SafetyPolicy.Chains safety, Screening screening, List<Finding> annotations, RequestUsage usage) {

        /** The prompt's tokens as admission counted them: what usage the gateway counts itself starts from. */
        int promptTokens() {
            return (int) reservation.demand().promptTokens();
        }

        Exchange annotated(List<Finding> value) {
            return new Exchange(inbound, request, route, attempts, deployment, backend, reservation, safety, screening, value, usage);
        }

        /**
         * What an open stream keeps: all but the request's body and prompt, which the stream's events do not need
         * (a long stream would otherwise hold the whole parsed request for as long as it lasts).
         */
        Exchange streaming() {
            return new Exchange(inbound.withoutBody(), request.withoutPrompt(), route, attempts, deployment, backend, reservation, safety,
                    screening, annotations, usage);
        }

        /** The same request on another deployment, admitted there. */
        Exchange on(Admission.Admitted admitted, BackendDialect dialect) {
            return new Exchange(inbound, request, route, attempts, admitted.deployment(), dialect, admitted.reservation(), safety, screening,
                    annotations, usage);
        }

        /** The serving deployment, the admitted request's rate-limit headers and the content-safety annotations. */
        Map<String, String> headers(List<Finding> more) {
            Map<String, String> headers = new LinkedHashMap<>(reservation.headers());
            headers.put(DEPLOYMENT_HEADER, deployment.name());
            List<Finding> all = new ArrayList<>(annotations);
            all.addAll(more);
            headers.putAll(ContentFilterResults.annotationHeaders(all));
            return headers;
        }
    }

    private record Routed(CanonicalRequest request, ModelRouter.Route route) {
    }

    public Mono<Answer> handle(Inbound inbound) {
        long started = System.nanoTime();
        return Mono.fromCallable(() -> {
            CallerDialect caller = inbound.caller();
            CanonicalRequest decoded = caller.decodeRequest(inbound.operation(), inbound.body(), inbound.headers()); // decode
            ModelRouter.Route route = router.route(decoded.model(), caller.modelHint(inbound.headers()));            // route
            ModelPermission.check(inbound.team(), route.model());
            return new Routed(decoded.withModel(route.model()), route);
        }).flatMap(routed -> admit(inbound, routed.route(), routed.request(), routed.route().candidates())             // admit
                .map(admitted -> exchange(inbound, routed, admitted, started))
        ).flatMap(exchange -> screenIn(exchange)                                                                        // screen in
                .flatMap(this::serve)                                                                                   // call, failing over
                .transform(answer -> recorded(exchange.usage(), answer)))                                               // record
                .onTerminateDetach(); // a stream outlives this chain: WebFlux and the body's reader must not keep it (and the request) alive
    }

    /**
     * Ends the request's record when its answer is complete, or it failed, or the client left before any answer;
     * a stream ends its record itself ({@link #events}).
     */
    private static Mono<Answer> recorded(RequestUsage usage, Mono<Answer> answer) {
        return answer.doOnNext(served -> {
                    usage.answered();
                    if (served instanceof Answer.Complete) {
                        usage.finish(Outcome.OK);
                    }
                })
                .doOnError(error -> usage.finish(error instanceof GatewayError refused && (ErrorCode.CONTENT_FILTER.equals(refused.code())
                        || ErrorCode.CONTENT_FILTER_UNAVAILABLE.equals(refused.code())) ? Outcome.CONTENT_FILTERED : Outcome.UPSTREAM_ERROR))
                .doOnCancel(usage::cancelledBeforeAnswer);
    }

    /**
     * One attempt on the admitted deployment: encode for it, call it, answer. A failure of the deployment before
     * anything reached the client (see {@link Failover}) was refunded by the attempt; the request is admitted again
     * on the pool's untried members and tried there.
     */
    private Mono<Answer> serve(Exchange exchange) {
        exchange.attempts().started(exchange.deployment());
        exchange.usage().attempt(exchange.deployment().name(), exchange.promptTokens(), exchange.reservation().demand().tokens());
        BackendRequest outbound = exchange.backend().encodeRequest(exchange.request(), exchange.request().model(),
                exchange.deployment().apiVersion());                                                                    // encode for backend
        Mono<Answer> answer = (exchange.request().stream() ? stream(exchange, outbound) : complete(exchange, outbound))
                .doOnNext(served -> failover.served(exchange.inbound().requestId(), exchange.attempts()));
        return answer.onErrorResume(Failover::retryable, error -> coolDowns.after(exchange.inbound().requestId(), exchange.deployment(), error)
                .then(Mono.defer(() -> failOver(exchange, error))));
    }

    /**
     * After a failed attempt: the next one, admitted afresh on the members {@link Failover} names (after the wait it
     * names, for a pool of one that asked for a short one) — or, when none follows, the failure the client gets.
     */
    private Mono<Answer> failOver(Exchange exchange, Throwable error) {
        Failover.Next next = failover.next(exchange.inbound().requestId(), exchange.attempts(), error, exchange.route().candidates());
        if (next == null) {
            return Mono.error(Failover.outcome(exchange.attempts(), error));
        }
        Mono<Admission.Admitted> admitted = next.after() == null
                ? admit(exchange.inbound(), exchange.route(), exchange.request(), next.members())
                : Mono.delay(next.after()).then(admission.admitAfterWaiting(exchange.inbound().team().teamId(), exchange.route().model(),
                        next.members(), exchange.request()));
        return admitted
                .onErrorMap(refused -> Failover.outcome(exchange.attempts(), error)) // no room left: the deployment's failure says more
                .flatMap(again -> serve(exchange.on(again, backends.get(again.deployment().dialect()))));
    }

    /**
     * Admission on those of {@code candidates} that are not ejected and have room for one more request in flight
     * (all of them when none is left).
     */
    private Mono<Admission.Admitted> admit(Inbound inbound, ModelRouter.Route route, CanonicalRequest request, List<Deployment> candidates) {
        return admission.admit(inbound.team().teamId(), route.model(), bulkheads.offer(breakers.offer(candidates)), request);
    }

    private Exchange exchange(Inbound inbound, Routed routed, Admission.Admitted admitted, long started) {
        String model = routed.route().model();
        CanonicalRequest request = routed.request();
        RequestUsage usage = recorder.start(caller(inbound, request, model), started);
        SafetyPolicy.Chains chains = safety.chains(model);
        // a model without filters skips collecting its prompt's text
        List<Screening.Message> prompt = chains.screenNothing() ? List.of() : SafetyPolicy.prompt(routed.request());
        Screening screening = Screening.input(inbound.requestId(), inbound.team().teamId(), model, prompt);
        return new Exchange(inbound, request, routed.route(), new Failover.Attempts(), admitted.deployment(),
                backends.get(admitted.deployment().dialect()), admitted.reservation(), chains, screening, List.of(), usage);
    }

    /** Who asked for what, as the usage ledger and the GenAI meters name it. */
    private static RequestUsage.Caller caller(Inbound inbound, CanonicalRequest request, String model) {
        String operation = request.operation() == Operation.CHAT ? "chat" : "text_completion"; // gen_ai.operation.name
        return new RequestUsage.Caller(inbound.requestId(), inbound.team().teamId(), inbound.team().teamName(), inbound.team().keyId(), model,
                inbound.caller().name().label(), operation, request.stream());
    }

    /** The prompt through the input chain: a block gives the reservation back and refuses the request. */
    private Mono<Exchange> screenIn(Exchange exchange) {
        return exchange.safety().input().screen(exchange.screening())
                .flatMap(outcome -> outcome.blocked()
                        ? exchange.reservation().refund().then(Mono.error(ContentFilterResults.refusal(outcome.block())))
                        : Mono.just(exchange.annotated(outcome.annotations())));
    }

    private Mono<Answer> complete(Exchange exchange, BackendRequest outbound) {
        CanonicalRequest request = exchange.request();
        Reservation reservation = exchange.reservation();
        Deployment deployment = exchange.deployment();
        return breakers.recorded(deployment, bulkheads.held(deployment, upstream.call(deployment, outbound, exchange.inbound().requestId()))) // call upstream
                .map(body -> exchange.backend().decodeResponse(request, body))
                .map(response -> usage.complete(request, response, exchange.promptTokens()))                                                    // complete usage
                .flatMap(response -> settle(exchange, response.usage(), response.model()).thenReturn(response))        // settle
                .onErrorResume(error -> reservation.refund().then(Mono.error(error)))
                .flatMap(response -> CompletionScreen.screen(exchange.safety().output(), exchange.screening(), response))  // screen out
                .doOnNext(screened -> {
                    if (screened.response().choices().stream().anyMatch(c -> CompletionScreen.CONTENT_FILTER.equals(c.finishReason()))) {
                        exchange.usage().contentFiltered();
                    }
                })
                .map(screened -> new Answer.Complete(exchange.inbound().caller().encodeResponse(                        // encode
                        screened.response().identified(OpenAiShape.newId(request.operation()), now(), request.model())),
                        exchange.headers(screened.annotations())));
    }

    private Mono<Answer> stream(Exchange admitted, BackendRequest outbound) {
        Exchange exchange = admitted.streaming(); // what the stream keeps for as long as it lasts
        CanonicalRequest request = exchange.request();
        Deployment deployment = exchange.deployment();
        Mono<Flux<CanonicalChunk>> upstreamChunks = exchange.backend().streams()
                ? bulkheads.heldUntilEnd(deployment, upstream.stream(deployment, outbound, exchange.inbound().requestId(),  // call upstream
                                event -> exchange.backend().decodeChunk(request, event)))
                        .flatMap(FirstEvent::awaited)                                                                   // to its first event
                : bulkheads.held(deployment, upstream.call(deployment, outbound, exchange.inbound().requestId()))
                        .map(body -> usage.complete(request, exchange.backend().decodeResponse(request, body), exchange.promptTokens()))
                        .map(response -> Flux.fromIterable(SyntheticStream.of(response)));
        return breakers.recorded(deployment, upstreamChunks)
                .onErrorResume(error -> exchange.reservation().refund().then(Mono.error(error)))
                .map(chunks -> new Answer.Stream(events(exchange, chunks), exchange.headers(List.of())));
    }

    /** Settles the reservation with the usage of the answer, and records it. */
    private static Mono<Void> settle(Exchange exchange, Usage used, String reportedModel) {
        exchange.usage().used(used, reportedModel);
        return exchange.reservation().settle(used);
    }

    private Mono<Void> settle(Exchange exchange, StreamTally tally) {
        return settle(exchange, tally.usage(usage, exchange.promptTokens()), tally.reportedModel());
    }

    /**
     * Canonical chunks to the caller's events: identified, screened (held back until screened), usage completed,
     * encoded, settled, ended by {@code [DONE]}, recorded. A stream that fails, that the client leaves or that a
     * filter cuts is settled with what the deployment streamed.
     */
    private Flux<byte[]> events(Exchange exchange, Flux<CanonicalChunk> chunks) {
        CanonicalRequest request = exchange.request();
        CallerDialect caller = exchange.inbound().caller();
        StreamEncoder encoder = caller.streamEncoder(request);
        StreamTally tally = new StreamTally(OpenAiShape.newId(request.operation()), now(), request.model());
        RequestUsage recorded = exchange.usage();
        StreamHoldBack holdBack = new StreamHoldBack(exchange.safety().output(), exchange.screening(), safety.window(), safety.overlap(),
                request.n() == null ? 1 : request.n());
        return chunks
                .map(tally::add)
                .transform(holdBack::apply)                                                                             // screen out
                // map and filter, not handle: with context-propagation on the class path Reactor restores the thread
                // locals of the subscriber's context around every call of a handle (2.5 % of a stream's CPU, profiled)
                .map(chunk -> {
                    if (filtered(chunk)) {
                        recorded.contentFiltered();
                    }
                    byte[] frames = EventFrames.joined(encoder.encode(chunk));                                          // encode
                    if (frames.length > 0) {
                        recorded.firstEvent();
                    }
                    return frames;
                })
                .filter(frames -> frames.length > 0)
                .concatWith(Flux.defer(() -> end(exchange, tally, encoder)))                                            // complete usage, settle, [DONE]
                .onErrorResume(error -> {
                    Mono<Void> settled = settle(exchange, tally);
                    recorded.finish(Outcome.UPSTREAM_ERROR);
                    return settled.then(Mono.just(json.writeEvent(caller.encodeError(midStream(exchange, error)))));
                })
                .doOnCancel(() -> settle(exchange, tally).subscribe())
                .doFinally(signal -> recorded.finish(signal == SignalType.CANCEL ? Outcome.CANCELLED : Outcome.OK));         // record
    }

    /** Whether a filter (the gateway's or the deployment's) ended one of the chunk's choices. */
    private static boolean filtered(CanonicalChunk chunk) {
        for (CanonicalChunk.Choice choice : chunk.choices()) {
            if (CompletionScreen.CONTENT_FILTER.equals(choice.finishReason())) {
                return true;
            }
        }
        return false;
    }

    /**
     * The stream's end, once the deployment's has come and been screened: the usage chunk the gateway counted when
     * the deployment reported none, the events the encoder still owes, then — the reservation settled — {@code [DONE]}.
     */
    private Flux<byte[]> end(Exchange exchange, StreamTally tally, StreamEncoder encoder) {
        CanonicalChunk counted = tally.usageChunkIfMissing(usage, exchange.promptTokens());
        List<byte[]> owed = new ArrayList<>(counted == null ? List.of() : encoder.encode(counted));
        owed.addAll(encoder.finish());
        byte[] frames = EventFrames.joined(owed);
        Mono<byte[]> done = settle(exchange, tally).thenReturn(EventFrames.DONE);
        if (frames.length == 0) {
            return done.flux();
        }
        exchange.usage().firstEvent();
        return Flux.concat(Mono.just(frames), done);
    }

    private static GatewayError midStream(Exchange exchange, Throwable error) {
        if (error instanceof GatewayError gatewayError) {
            return gatewayError;
        }
        log.error("Stream {} from deployment {} failed", exchange.inbound().requestId(), exchange.deployment().name(), error);
        return new GatewayError(HttpStatus.INTERNAL_SERVER_ERROR, ErrorCode.INTERNAL_ERROR, "The stream failed.", null, null);
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }
}
