package com.llamagateway.gateway.upstream;

import com.llamagateway.gateway.protocol.BackendRequest;
import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import com.llamagateway.gateway.protocol.Json;
import com.llamagateway.gateway.reactive.Contexts;
import com.llamagateway.gateway.reactive.IdleTimer;
import com.llamagateway.gateway.reactive.Timeouts;
import com.llamagateway.gateway.routing.Deployment;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.support.Netty4HeadersAdapter;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.Connection;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientResponse;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Calls deployments over HTTP: one Reactor Netty client per deployment (its own connect timeout) on a shared
 * connection pool, within the deployment's first-byte and stream-idle timeouts. Adds the deployment's credentials, maps
 * every failure to a {@link GatewayError}, and streams server-sent events without buffering them; a stream read to its
 * end leaves its connection to the next call, cancelling one closes its connection. Each call is observed as
 * {@code http.client.requests} ({@link UpstreamObservation}), the trace context going with the request.
 */
public final class UpstreamClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(UpstreamClient.class);
    public static final String REQUEST_ID_HEADER = "x-request-id";
    /** More connections than a process has sockets: only the deployments' bulkheads bound them. */
    private static final int MAX_CONNECTIONS_PER_HOST = 65_536;
    /** How long a stream's body may go on after its {@code [DONE]} before the connection is closed ({@link #bodyEndAfterDone}). */
    private static final Duration BODY_END_AFTER_DONE = Duration.ofSeconds(1);
    /** The most an open stream keeps for copying the pieces of its body out of native memory. */
    private static final int SCRATCH_BYTES = 4096;
    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);
    private static final String APPLICATION_JSON = MediaType.APPLICATION_JSON_VALUE;
    private static final String TEXT_EVENT_STREAM = MediaType.TEXT_EVENT_STREAM_VALUE;

    private final Json json;
    private final ObservationRegistry observations;
    /**
     * Connections per deployment host: as many as the calls in flight need. Each deployment's bulkhead
     * ({@code max-concurrent}) bounds those, so a call past it fails over instead of queueing here for a connection; a
     * connection idle for a minute is closed, before a load balancer drops it under a request.
     */
    private final ConnectionProvider connections;
    private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();

    private final int maxResponseBytes;
    private final Duration deadline;

    /**
     * @param observations     Spring Boot's registry ({@code http.client.requests}, trace context propagated), or
     *                         {@link ObservationRegistry#NOOP}
     * @param maxResponseBytes bound on a non-streamed answer and on one event of a stream
     * @param deadline         bound on a whole non-streamed call (streams are bounded by the stream-idle timeout between events)
     */
    public UpstreamClient(Json json, ObservationRegistry observations, int maxResponseBytes, Duration deadline) {
        this(json, observations, maxResponseBytes, deadline, MAX_CONNECTIONS_PER_HOST);
    }

    /** As the public constructor, with at most {@code connectionsPerHost} connections to a host (a test's pool of one). */
    UpstreamClient(Json json, ObservationRegistry observations, int maxResponseBytes, Duration deadline, int connectionsPerHost) {
        this.connections = ConnectionProvider.builder("deployments").maxConnections(connectionsPerHost)
                .pendingAcquireMaxCount(-1).maxIdleTime(Duration.ofSeconds(60)).build();
        this.json = json;
        this.observations = observations;
        this.maxResponseBytes = maxResponseBytes;
        this.deadline = deadline;
    }

    /**
     * A complete, non-streamed answer: JSON (or no content type), at most {@code maxResponseBytes}, within
     * {@code deadline} from the call to the last byte. Anything else — an event stream, HTML — fails at once with 502.
     */
    public Mono<JsonNode> call(Deployment deployment, BackendRequest request, String requestId) {
        Deployment.Timeouts timeouts = deployment.timeouts();
        return Contexts.heldHere(answered(deployment, request, requestId, APPLICATION_JSON)
                .flatMap(answer -> {
                    MediaType type = contentType(deployment, answer);
                    if (type != null && !MediaType.APPLICATION_JSON.isCompatibleWith(type) && !type.getSubtype().endsWith("+json")) {
                        answer.connection().dispose(); // the body may never end
                        return Mono.error(unreadable(deployment, "a " + type.getType() + "/" + type.getSubtype() + " body instead of JSON"));
                    }
                    return body(answer, timeouts.streamIdle());
                })
                .transform(answer -> Timeouts.within(answer, deadline, "no complete answer"))
                .flatMap(body -> body.length == 0 ? Mono.error(unreadable(deployment, "an empty answer"))
                        : Mono.just(decode(deployment, body, json::readUntrusted)))
                .onErrorMap(e -> !(e instanceof GatewayError), e -> mapped(deployment, e)));
    }

    /**
     * A streamed answer: the outer {@code Mono} completes once the deployment has answered 2xx with an event stream
     * (so failures before it still get a proper HTTP status); the inner {@code Flux} emits each event as it arrives, up
     * to {@code [DONE]}, as {@code decoder} reads its {@code data} (a {@link JacksonException} it throws makes the
     * deployment's answer unreadable, a 502): the first within the first-byte timeout of sending the request, each next
     * within the stream-idle timeout of the one before (so it ends, one way or the other, even if nobody reads it).
     * An event that cannot be read fails the stream there; the first one fails it before it counts as answered.
     * {@link FirstEvent} holds it until its first event, for failover.
     */
    public <T> Mono<Flux<T>> stream(Deployment deployment, BackendRequest request, String requestId, Function<byte[], T> decoder) {
        Deployment.Timeouts timeouts = deployment.timeouts();
        return Contexts.heldHere(Mono.defer(() -> {
            long sent = System.nanoTime();
            return answered(deployment, request, requestId, TEXT_EVENT_STREAM)
                    .map(answer -> {
                        MediaType type = contentType(deployment, answer);
                        if (type == null || !MediaType.TEXT_EVENT_STREAM.isCompatibleWith(type)) {
                            answer.connection().dispose();
                            throw unreadable(deployment, "a " + type + " body to a streaming request instead of an event stream");
                        }
                        Duration firstByteLeft = timeouts.firstByte().minusNanos(System.nanoTime() - sent);
                        return Contexts.heldHere(beforeDone(events(answer.connection()), firstByteLeft, timeouts.streamIdle(), System::nanoTime)
                                .map(data -> decode(deployment, data, decoder))
                                .onErrorMap(e -> !(e instanceof GatewayError), e -> mapped(deployment, e)));
                    })
                    .onErrorMap(e -> !(e instanceof GatewayError), e -> mapped(deployment, e))
                    // the connection keeps this answer's subscriber while its events flow: once answered, the caller's
                    // chain (the request, the prompt) is let go, for the stream outlives it
                    .onTerminateDetach();
        }));
    }

    /** A deployment's 2xx status and headers, its body still to read; the body of any other status read into its error. */
    private record Answer(HttpClientResponse response, Connection connection) {
    }

    /**
     * Sends the request and waits, within the deployment's first-byte timeout, for a 2xx status and headers; any other
     * status fails with the error its body names. Observed from the send to the status.
     */
    private Mono<Answer> answered(Deployment deployment, BackendRequest request, String requestId, String accept) {
        URI uri = URI.create(deployment.url() + request.path());
        byte[] body = json.writeBytes(request.body());
        return Mono.deferContextual(context -> {
            UpstreamObservation.Context observed = new UpstreamObservation.Context(uri);
            Observation observation = Observation.createNotStarted(null, UpstreamObservation.CONVENTION, () -> observed, observations)
                    .parentObservation(context.getOrDefault(ObservationThreadLocalAccessor.KEY, null))
                    .start();
            AtomicReference<Answer> received = new AtomicReference<>();
            Mono<Answer> answer = client(deployment).request(HttpMethod.POST).uri(uri)
                    .send((out, outbound) -> {
                        io.netty.handler.codec.http.HttpHeaders headers = out.requestHeaders();
                        headers.set(HttpHeaderNames.CONTENT_TYPE, APPLICATION_JSON);
                        headers.set(HttpHeaderNames.ACCEPT, accept);
                        DeploymentCredentials.apply(new HttpHeaders(new Netty4HeadersAdapter(headers)), deployment);
                        if (requestId != null) {
                            headers.set(REQUEST_ID_HEADER, requestId);
                        }
                        request.headers().forEach(headers::set);
                        observed.propagated().forEach(headers::set);
                        return outbound.send(Mono.just(Unpooled.wrappedBuffer(body)));
                    })
                    .responseConnection((response, connection) -> {
                        observed.setResponse(response.status().code());
                        Answer a = new Answer(response, connection);
                        received.set(a);
                        return Mono.just(a);
                    })
                    .next()
                    .doOnError(observation::error)
                    .doFinally(signal -> observation.stop())
                    .flatMap(a -> a.response().status().code() / 100 == 2 ? Mono.just(a) : failure(deployment, a))
                    // cancelled once answered, before its body was read: the connection cannot be reused
                    .doOnCancel(() -> {
                        Answer a = received.get();
                        if (a != null) {
                            a.connection().dispose();
                        }
                    });
            return Timeouts.within(answer, deployment.timeouts().firstByte(), "no answer's headers");
        });
    }

    private HttpClient client(Deployment deployment) {
        // the first-byte and stream-idle timeouts are the calls' own (Reactor's timeout operators: exact per phase)
        return clients.computeIfAbsent(deployment.name(), name -> HttpClient.create(connections)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) deployment.timeouts().connect().toMillis()));
    }

    private static MediaType contentType(Deployment deployment, Answer answer) {
        String type = answer.response().responseHeaders().get(HttpHeaderNames.CONTENT_TYPE);
        try {
            return type == null ? null : MediaType.parseMediaType(type);
        } catch (InvalidMediaTypeException e) {
            answer.connection().dispose();
            throw unreadable(deployment, "a body whose content type cannot be read"); // the header's text stays out of the answer
        }
    }

    /** The whole body, at most {@code maxResponseBytes}, each piece within {@code idle} of the one before. */
    private Mono<byte[]> body(Answer answer, Duration idle) {
        int length = answer.response().responseHeaders().getInt(HttpHeaderNames.CONTENT_LENGTH, -1); // -1 when absent or past an int
        if (length > maxResponseBytes) {
            answer.connection().dispose();
            return Mono.error(new AnswerTooLarge(maxResponseBytes));
        }
        return Timeouts.eachWithin(answer.connection().inbound().receive(), idle, "no more of the answer")
                .collect(() -> new Bytes(length < 0 ? 1024 : length, maxResponseBytes), Bytes::add)
                .map(Bytes::toArray);
    }

    /**
     * The events' {@code data} before {@code [DONE]}: the first within {@code firstByteLeft}, each next, {@code [DONE]}
     * too, within {@code streamIdle} of the one before — counted while an event is asked for: a subscriber that stops
     * asking stops the clock, and asking again gives the deployment {@code streamIdle} from then. The body is read on
     * to its end, which follows at once from a deployment that keeps to the format, so that the connection goes back
     * to the pool: a stream cut off at its {@code [DONE]} cost a new connection for the next call. A body not ended
     * within {@link #bodyEndAfterDone} of its {@code [DONE]} is cut off there (its connection closed) and the stream
     * ends as it would have; what follows {@code [DONE]} is no event.
     */
    static Flux<byte[]> beforeDone(Flux<byte[]> data, Duration firstByteLeft, Duration streamIdle, LongSupplier nanoClock) {
        Duration bodyEnd = bodyEndAfterDone(streamIdle);
        return Flux.defer(() -> {
            IdleTimer idle = new IdleTimer(firstByteLeft, streamIdle, nanoClock);
            Sinks.Empty<Void> done = Sinks.empty();
            boolean[] ended = {false};
            // the timer runs while an event is asked for: a client that stops reading holds the stream back, not the
            // deployment (the send timeout lets such a client go)
            return data.doOnRequest(idle::requested)
                    .takeUntilOther(Mono.<Object>firstWithSignal(idle.expiry(), done.asMono().then(Mono.delay(bodyEnd))))
                    .<byte[]>handle((event, sink) -> {
                        idle.arrived();
                        if (blank(event)) {
                            return; // no event: the timer goes on
                        }
                        idle.restart();
                        if (ended[0]) {
                            return;
                        }
                        if (done(event)) {
                            ended[0] = true;
                            done.tryEmitEmpty();
                        } else {
                            sink.next(event);
                        }
                    })
                    .concatWith(idle.failureIfExpired("no event within the first-byte or stream-idle timeout"));
        });
    }

    /** Whether an event's data is only white space (as {@link String#isBlank} has it): no event. */
    private static boolean blank(byte[] data) {
        for (byte b : data) {
            if (b < 0) {
                return new String(data, StandardCharsets.UTF_8).isBlank(); // white space beyond ASCII: as the text has it
            }
            if (!Character.isWhitespace(b)) {
                return false;
            }
        }
        return true;
    }

    /** Whether an event's data is {@code [DONE]}, with any control characters or spaces around it. */
    private static boolean done(byte[] data) {
        int from = 0;
        int to = data.length;
        while (from < to && (data[from] & 0xFF) <= ' ') {
            from++;
        }
        while (to > from && (data[to - 1] & 0xFF) <= ' ') {
            to--;
        }
        return Arrays.equals(data, from, to, DONE, 0, DONE.length);
    }

    /**
     * {@link #BODY_END_AFTER_DONE}, at most half the stream-idle timeout: the stream-idle timeout, restarted by the
     * {@code [DONE]}, cannot fail a stream that has ended.
     */
    private static Duration bodyEndAfterDone(Duration streamIdle) {
        Duration half = streamIdle.dividedBy(2);
        return BODY_END_AFTER_DONE.compareTo(half) < 0 ? BODY_END_AFTER_DONE : half;
    }

    /** The {@code data} of each event of the body, as it arrives. */
    private Flux<byte[]> events(Connection connection) {
        return Flux.defer(() -> {
            List<byte[]> read = new ArrayList<>(2);
            EventStreamReader reader = new EventStreamReader(maxResponseBytes, read::add);
            // a piece in native memory is copied into an array the stream reuses (the reader copies what it keeps),
            // up to SCRATCH_BYTES: an open stream holds no more than that for it
            byte[][] scratch = {new byte[0]};
            // each piece is read as it arrives: Reactor Netty releases it once handed on
            return connection.inbound().receive()
                    .map(piece -> {
                        int length = piece.readableBytes();
                        if (piece.hasArray()) {
                            reader.read(piece.array(), piece.arrayOffset() + piece.readerIndex(), length);
                        } else {
                            byte[] bytes = length > SCRATCH_BYTES ? new byte[length] : (scratch[0] = atLeast(scratch[0], length));
                            piece.getBytes(piece.readerIndex(), bytes, 0, length);
                            reader.read(bytes, 0, length);
                        }
                        return taken(read);
                    })
                    .concatWith(Mono.fromCallable(() -> {
                        reader.finish();
                        return taken(read);
                    }))
                    .concatMapIterable(events -> events);
        });
    }

    /** {@code array}, or a larger one (doubled, at most {@link #SCRATCH_BYTES}) when it is shorter than {@code length}. */
    private static byte[] atLeast(byte[] array, int length) {
        return array.length >= length ? array : new byte[Math.min(SCRATCH_BYTES, Math.max(length, Math.max(256, 2 * array.length)))];
    }

    private static List<byte[]> taken(List<byte[]> read) {
        if (read.isEmpty()) {
            return List.of();
        }
        List<byte[]> events = read.size() == 1 ? List.of(read.get(0)) : List.copyOf(read);
        read.clear();
        return events;
    }

    private <B, T> T decode(Deployment deployment, B body, Function<B, T> decoder) {
        try {
            return decoder.apply(body);
        } catch (StreamConstraintsException e) {
            throw UpstreamFailures.tooLarge(deployment, maxResponseBytes);
        } catch (JacksonException e) {
            throw unreadable(deployment, "invalid JSON");
        }
    }

    private GatewayError mapped(Deployment deployment, Throwable error) {
        return error instanceof AnswerTooLarge ? UpstreamFailures.tooLarge(deployment, maxResponseBytes)
                : UpstreamFailures.map(deployment, error);
    }

    private static GatewayError unreadable(Deployment deployment, String what) {
        log.warn("Deployment {} returned {}", deployment.name(), what);
        return new GatewayError(HttpStatus.BAD_GATEWAY, ErrorCode.UPSTREAM_ERROR, "The model's deployment returned " + what + ".", null, null);
    }

    /** A status other than 2xx: the error its body names (a body too large or cut off names none). */
    private <T> Mono<T> failure(Deployment deployment, Answer answer) {
        HttpHeaders headers = new HttpHeaders(new Netty4HeadersAdapter(answer.response().responseHeaders()));
        int status = answer.response().status().code();
        return body(answer, deployment.timeouts().streamIdle())
                .map(bytes -> new String(bytes, StandardCharsets.UTF_8))
                .onErrorReturn("")
                .flatMap(body -> Mono.error(UpstreamFailures.fromStatus(deployment, status, headers, body, json)));
    }

    /** An answer's bytes so far, up to a bound. */
    private static final class Bytes {
        private final int max;
        private byte[] bytes;
        private int length;

        Bytes(int expected, int max) {
            this.max = max;
            this.bytes = new byte[Math.min(expected, max)];
        }

        void add(ByteBuf piece) {
            int n = piece.readableBytes();
            if (length + n > max) {
                throw new AnswerTooLarge(max);
            }
            if (length + n > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.min(max, Math.max(length + n, bytes.length * 2)));
            }
            piece.getBytes(piece.readerIndex(), bytes, length, n);
            length += n;
        }

        byte[] toArray() {
            return length == bytes.length ? bytes : Arrays.copyOf(bytes, length);
        }
    }

    @Override
    public void close() {
        connections.dispose();
    }
}
