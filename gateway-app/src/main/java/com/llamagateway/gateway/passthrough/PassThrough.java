package com.llamagateway.gateway.passthrough;

import com.llamagateway.gateway.api.ErrorResponses;
import com.llamagateway.gateway.api.RequestIdFilter;
import com.llamagateway.gateway.pipeline.CompletionPipeline;
import com.llamagateway.gateway.pipeline.ModelPermission;
import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.quota.Admission;
import com.llamagateway.gateway.resilience.CoolDowns;
import com.llamagateway.gateway.resilience.DeploymentBreakers;
import com.llamagateway.gateway.resilience.DeploymentBulkheads;
import com.llamagateway.gateway.routing.Deployment;
import com.llamagateway.gateway.security.TeamKeyAuthentication;
import com.llamagateway.gateway.team.CallerTeam;
import com.llamagateway.gateway.upstream.DeploymentCredentials;
import com.llamagateway.gateway.upstream.UpstreamFailures;
import com.llamagateway.gateway.usage.RequestUsage;
import com.llamagateway.gateway.usage.UsageRecorder;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.cloud.gateway.filter.GatewayFilter;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.NettyWriteResponseFilter;
import org.springframework.cloud.gateway.filter.OrderedGatewayFilter;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.NettyOutbound;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * The path of a pass-through request — {@code /deployments/<name>/**} to that deployment's own API, untranslated —
 * one step after the other; Spring Cloud Gateway's route ({@link PassThroughRoutes}) moves the bytes:
 * <pre>
 * team (the client security chain authenticated its key: 401 before this) → may it use the deployment's model (403)
 *   → a declared body within the bound (413) → admit one request on the team's and the deployment's request
 *     buckets, no tokens reserved (429) → a place among the deployment's calls in flight (503)
 *   → the deployment's credentials in place of the caller's, the request id → proxied: the body streams both ways
 *     (413 when an undeclared body passes the bound; connect and time-to-headers timeouts from the route's metadata,
 *     the gap between two chunks of the answer bounded here)
 *   → end (PassThroughCall): the place given back; settle with the usage the answer reported or the request alone,
 *     or refund when the deployment served nothing (its Retry-After cooling it down for every replica); the breaker told how it went (a call goes out even while the deployment
 *     is ejected — it names its one deployment — and is then not counted, as on the translated routes); the usage
 *     ledger, the meter, the log line
 * </pre>
 * Failures before the answer starts are answered in the Azure error shape; once it has started, the client's
 * connection is cut.
 */
public final class PassThrough {

    /** Before {@link NettyWriteResponseFilter}: the response it writes the answer into must be the tapped one. */
    static final int ORDER = NettyWriteResponseFilter.WRITE_RESPONSE_FILTER_ORDER - 1;
    /** The dialect and operation the usage ledger and the GenAI meters name pass-through calls by. */
    static final String LABEL = "passthrough";

    private final Admission admission;
    private final DeploymentBreakers breakers;
    private final DeploymentBulkheads bulkheads;
    private final CoolDowns coolDowns;
    private final ErrorResponses errors;
    private final UsageRecorder usage;
    private final PassThroughRecorder recorder;
    private final Json json;
    private final long maxBodyBytes;
    private final Duration bodyTimeout;
    private final int usageScanLimit;

    public PassThrough(Admission admission, DeploymentBreakers breakers, DeploymentBulkheads bulkheads, CoolDowns coolDowns,
                       ErrorResponses errors, UsageRecorder usage, MeterRegistry registry, Json json, long maxBodyBytes, Duration bodyTimeout,
                       int usageScanLimit) {
        this.bodyTimeout = bodyTimeout;
        this.admission = admission;
        this.breakers = breakers;
        this.bulkheads = bulkheads;
        this.coolDowns = coolDowns;
        this.errors = errors;
        this.usage = usage;
        this.recorder = new PassThroughRecorder(registry);
        this.json = json;
        this.maxBodyBytes = maxBodyBytes;
        this.usageScanLimit = usageScanLimit;
    }

    /** The filter of the deployment's pass-through route. */
    GatewayFilter filterFor(Deployment deployment) {
        return new OrderedGatewayFilter((exchange, chain) -> handle(deployment, exchange, chain), ORDER);
    }

    private Mono<Void> handle(Deployment deployment, ServerWebExchange exchange, GatewayFilterChain chain) {
        long started = System.nanoTime();
        String requestId = RequestIdFilter.of(exchange);
        return TeamKeyAuthentication.teamOf(exchange)
                .flatMap(team -> {
                    ModelPermission.check(team, deployment.model());                                          // 403
                    BoundedRequest.checkDeclaredLength(exchange.getRequest(), maxBodyBytes);                   // 413
                    return admission.admitRequest(team.teamId(), deployment.model(), deployment)               // 429
                            .flatMap(admitted -> placed(deployment, admitted)                                      // 503
                                    .map(leave -> call(deployment, team, requestId, admitted, leave, exchange, started)));
                })
                .onErrorResume(error -> refuse(deployment, requestId, exchange, error, started).then(Mono.empty()))
                .flatMap(call -> forward(call, exchange, chain));                                              // proxied, ended
    }

    /**
     * A place among the deployment's calls in flight ({@code max-concurrent}, shared with the translated routes),
     * held until the call ends; a full deployment gives the admission back and is 503 {@code deployment_busy}.
     */
    private Mono<Runnable> placed(Deployment deployment, Admission.Admitted admitted) {
        try {
            return Mono.just(bulkheads.enter(deployment));
        } catch (GatewayError busy) {
            return admitted.reservation().refund().then(Mono.error(busy));
        }
    }

    private PassThroughCall call(Deployment deployment, CallerTeam team, String requestId, Admission.Admitted admitted, Runnable leave,
                                 ServerWebExchange exchange, long started) {
        ServerHttpRequest request = exchange.getRequest();
        RequestUsage record = usage.start(new RequestUsage.Caller(requestId, team.teamId(), team.teamName(), team.keyId(), deployment.model(),
                LABEL, LABEL, false), started);
        return new PassThroughCall(deployment, team, requestId, admitted.reservation(), started, request.getMethod().name(),
                PassThroughRoutes.deploymentPath(request.getPath().pathWithinApplication().value(), deployment), record,
                breakers.attempt(deployment), leave, coolDowns, json, usageScanLimit, recorder);
    }

    /**
     * Hands the request on to the route's other filters (path, then Spring Cloud Gateway's proxying) with the
     * deployment's credentials and a bounded body, and its answer through the tap; ends the call when the answer
     * is written, the call fails or the client leaves.
     */
    private Mono<Void> forward(PassThroughCall call, ServerWebExchange exchange, GatewayFilterChain chain) {
        ServerHttpRequest request = new BoundedRequest(exchange.getRequest().mutate().headers(headers -> {
            headers.remove(HttpHeaders.AUTHORIZATION); // the team's key never reaches the deployment
            headers.remove("api-key");
            DeploymentCredentials.apply(headers, call.deployment);
            headers.set(RequestIdFilter.HEADER, call.requestId);
        }).build(), maxBodyBytes, bodyTimeout);
        TappedResponse response = new TappedResponse(exchange.getResponse(), call, call.deployment.timeouts().streamIdle());
        response.beforeCommit(() -> {
            HttpHeaders headers = response.getHeaders(); // the deployment's, with the gateway's own on top
            headers.set(RequestIdFilter.HEADER, call.requestId);
            headers.set(CompletionPipeline.DEPLOYMENT_HEADER, call.deployment.name());
            call.reservation.headers().forEach(headers::set);
            return Mono.empty();
        });
        return chain.filter(exchange.mutate().request(request).response(response).build())
                .then(Mono.defer(() -> call.end(PassThroughCall.Ending.ANSWERED, null)))
                .onErrorResume(error -> failed(call, exchange, error))
                .doOnCancel(() -> call.end(PassThroughCall.Ending.CANCELLED, null).subscribe());
    }

    /** The call failed: told in the Azure shape while the answer has not started, else by cutting the connection. */
    private Mono<Void> failed(PassThroughCall call, ServerWebExchange exchange, Throwable error) {
        GatewayError cause = causeOf(error);
        boolean gatewaysOwn = cause != null && (ErrorCode.REQUEST_TOO_LARGE.equals(cause.code()) || ErrorCode.REQUEST_TIMEOUT.equals(cause.code()));
        GatewayError answer = gatewaysOwn ? cause : UpstreamFailures.map(call.deployment, timeToHeaders(error));
        Mono<Void> ended = call.end(gatewaysOwn ? PassThroughCall.Ending.REFUSED : PassThroughCall.Ending.FAILED, gatewaysOwn ? null : answer);
        if (exchange.getResponse().isCommitted()) {
            return ended.then(cutOff(exchange, error));
        }
        exchange.getResponse().getHeaders().clear(); // an answer that failed before its body leaves the deployment's headers behind
        exchange.getResponse().getHeaders().set(RequestIdFilter.HEADER, call.requestId);
        return ended.then(errors.write(exchange, answer));
    }

    /**
     * The answer's status has gone: the client learns of the failure by its connection closing before the body's end
     * (the call's log line says why), not by an error the server would log as its own.
     */
    private static Mono<Void> cutOff(ServerWebExchange exchange, Throwable error) {
        Object response = ServerHttpResponseDecorator.getNativeResponse(exchange.getResponse());
        if (response instanceof NettyOutbound outbound) {
            return Mono.fromRunnable(() -> outbound.withConnection(Connection::dispose));
        }
        return Mono.error(error);
    }

    private Mono<Void> refuse(Deployment deployment, String requestId, ServerWebExchange exchange, Throwable error, long started) {
        GatewayError refusal = errors.toGatewayError(error, requestId);
        recorder.refused(deployment, requestId, refusal.status().value(), refusal.code(), System.nanoTime() - started);
        return errors.write(exchange, refusal);
    }

    /** Spring Cloud Gateway's time-to-headers timeout ({@code response-timeout}) is a 504 of its own: a timeout here. */
    private static Throwable timeToHeaders(Throwable error) {
        return error instanceof ResponseStatusException e && e.getStatusCode().value() == HttpStatus.GATEWAY_TIMEOUT.value()
                ? new TimeoutException(e.getReason()) : error;
    }

    private static GatewayError causeOf(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof GatewayError gatewayError) {
                return gatewayError;
            }
        }
        return null;
    }
}
