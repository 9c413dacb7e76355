package com.llamagateway.gateway.api;

import com.llamagateway.gateway.protocol.ErrorCode;
import com.llamagateway.gateway.protocol.GatewayError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.http.HttpStatus;
import reactor.netty.NettyPipeline;
import reactor.netty.channel.ChannelOperations;
import reactor.netty.http.HttpConnectionLiveness;
import reactor.netty.http.IdleTimeoutHandler;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * What happens on an HTTP/1.1 connection before a request reaches WebFlux.
 * <ul>
 *   <li>The request line and headers must arrive within {@code gateway.request.header-timeout}, counted from the
 *       first byte of the request (from the connection's opening for its first request): else 408 in JSON and the
 *       connection is closed. A slow-loris client holds a connection for that long at most.</li>
 *   <li>The body must arrive within {@code gateway.request.body-timeout}: the handlers answer 408 themselves
 *       ({@link BodyReader}); a little later the connection is closed if its body is still arriving (a body nobody
 *       reads, e.g. of a request refused with 401). This is Reactor Netty's request timeout, kept here instead: Reactor
 *       Netty's task is cancelled by the request's last content only when the exchange is still open then, so every
 *       request answered before its last content was read (a GET answered at once, a refusal) kept its whole exchange,
 *       headers and all, in the event loop's timer queue for the full timeout.</li>
 *   <li>Requests Netty could not decode (request line over the limit → 414, headers over the limit → 431, anything
 *       else → 400) or whose URI is not a valid URI (Spring could not build the request) are answered here, with a JSON
 *       error in the path's shape and an {@code x-request-id}, instead of an empty body.</li>
 *   <li>A kept-alive connection keeps being read after each exchange. Reactor Netty 1.3.6 and 1.3.7 stop reading one
 *       when a request they had queued (one that arrived before the previous exchange was over) is answered at once:
 *       the next request on that connection then waits forever, and the idle timeout is not armed either
 *       (reactor-netty#4361, fixed in 1.3.8, which needs a Netty whose native transport is not available to this
 *       build). After every exchange, once Reactor Netty has had its turn, a connection with no request in progress
 *       is read again, with its idle timeout, as 1.3.8 does.</li>
 *   <li>A client that stops reading its answer is let go after {@code gateway.request.send-timeout}: while a response
 *       is in progress, a check every half of it looks at the head of the connection's outbound buffer; the same
 *       write, with no byte of it sent, at three checks in a row (unsent for at least the send timeout) closes the
 *       connection — its stream is cancelled, the deployment's call with it, and settled with what was streamed.
 *       Reactor Netty stops asking the stream for events meanwhile (at most 128 writes in flight), so nothing piles up
 *       in the heap; without this the connection, and the megabytes its kernel buffer holds, stayed open for as long
 *       as the client kept it. (The channel's writability is no signal: 128 small frames stay below its high-water
 *       mark.) One timer per connection while it answers, nothing per write.</li>
 * </ul>
 */
public final class ConnectionGuard implements NettyServerCustomizer {

    private static final Logger log = LoggerFactory.getLogger(ConnectionGuard.class);
    /** How much later than the handlers' own body timeout Reactor Netty closes a connection whose body nobody reads. */
    private static final Duration BODY_BACKSTOP = Duration.ofSeconds(2);
    /** The user event Reactor Netty fires through the pipeline when an exchange is over (its class is package-private). */
    private static final String EXCHANGE_OVER = "HttpServerOperationsTerminatedEvent";

    private final ErrorResponses errors;
    private final Duration headerTimeout;
    /** The body timeout + {@link #BODY_BACKSTOP}: a request's body still arriving then has its connection closed. */
    private final Duration bodyCutOff;
    /** {@code server.netty.idle-timeout}: how long a kept-alive connection may wait for its next request; null for ever. */
    private final Duration idleTimeout;
    /** How long a connection's client may take none of its answer, more of it waiting, before the connection is closed. */
    private final Duration sendTimeout;

    public ConnectionGuard(ErrorResponses errors, Duration headerTimeout, Duration bodyTimeout, Duration sendTimeout, Duration idleTimeout) {
        this.errors = errors;
        this.headerTimeout = headerTimeout;
        this.bodyCutOff = bodyTimeout.plus(BODY_BACKSTOP);
        this.sendTimeout = sendTimeout;
        this.idleTimeout = idleTimeout;
    }

    @Override
    public HttpServer apply(HttpServer server) {
        return server.doOnChannelInit((observer, channel, remote) -> {
            ChannelPipeline pipeline = channel.pipeline();
            if (pipeline.get(NettyPipeline.HttpCodec) == null) {
                return; // not a plain HTTP/1.1 pipeline
            }
            Guarded guarded = new Guarded();
            pipeline.addBefore(NettyPipeline.HttpCodec, "llgw.requestBytes", guarded.bytes);
            pipeline.addAfter(NettyPipeline.HttpCodec, "llgw.requestHeads", guarded.heads);
        });
    }

    /** The state of one connection; every method runs on its event loop. */
    private final class Guarded {

        private ChannelHandlerContext raw;
        /** Requests whose head was decoded and whose response has not ended. */
        private int open;
        /** Between a request's head and its last content: bytes that arrive now are body, not a new request. */
        private boolean inBody;
        private ScheduledFuture<?> headDeadline;
        /** Armed from a request's head to its last content: past it the connection is closed. */
        private ScheduledFuture<?> bodyDeadline;
        private final Runnable bodyTimedOut = this::bodyTimedOut;
        /** Armed while the connection answers: the next look at its outbound buffer. */
        private ScheduledFuture<?> sendCheck;
        /** The write at the head of the outbound buffer at the last check, how much of it was sent, since how many checks. */
        private Object waiting;
        private long waitingProgress;
        private int waitingChecks;
        /** After this gateway answered a request itself, the rest of the connection's input is dropped. */
        private boolean refused;

        final ChannelInboundHandlerAdapter bytes = new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                raw = ctx;
                armHeadDeadline();
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (refused) {
                    ReferenceCountUtil.release(msg);
                    return;
                }
                if (open == 0 && !inBody && headDeadline == null) {
                    armHeadDeadline();
                }
                ctx.fireChannelRead(msg);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                disarm();
                disarmBody();
                disarmSend();
                ctx.fireChannelInactive();
            }
        };

        final ChannelDuplexHandler heads = new ChannelDuplexHandler() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (refused) {
                    ReferenceCountUtil.release(msg);
                    return;
                }
                if (msg instanceof HttpRequest request) {
                    disarm();
                    GatewayError refusal = open == 0 ? refusal(request) : null;
                    if (refusal != null) {
                        refused = true;
                        String requestId = RequestIdFilter.chosen(request.headers().get(RequestIdFilter.HEADER));
                        String path = pathOf(request.uri());
                        ReferenceCountUtil.release(msg);
                        log.debug("Request {} refused before routing: {}", requestId, refusal.getMessage());
                        ctx.writeAndFlush(response(path, refusal, requestId)).addListener(ChannelFutureListener.CLOSE);
                        return;
                    }
                    open++;
                    inBody = true;
                    disarmBody();
                    if (!(msg instanceof LastHttpContent)) {
                        bodyDeadline = raw.executor().schedule(bodyTimedOut, bodyCutOff.toMillis(), TimeUnit.MILLISECONDS);
                    }
                }
                if (msg instanceof LastHttpContent) {
                    inBody = false;
                    disarmBody();
                }
                ctx.fireChannelRead(msg);
            }

            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                boolean informational = msg instanceof HttpResponse response && response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
                if (msg instanceof LastHttpContent && !informational && open > 0) {
                    open--;
                }
                if (sendCheck == null) {
                    armSendCheck();
                }
                ctx.write(msg, promise);
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                ctx.fireUserEventTriggered(event);
                if (EXCHANGE_OVER.equals(event.getClass().getSimpleName())) {
                    // after whatever Reactor Netty just scheduled to drain the requests it queued
                    ctx.executor().execute(Guarded.this::keepReading);
                }
            }
        };

        /** Reads the connection's next request if no request is in progress (reactor-netty#4361, see the class comment). */
        private void keepReading() {
            Channel channel = raw.channel();
            if (open == 0 && !inBody && !refused && channel.isActive() && !(ChannelOperations.get(channel) instanceof HttpServerRequest)) {
                IdleTimeoutHandler.addIdleTimeoutHandler(channel.pipeline(), idleTimeout, HttpConnectionLiveness.CLOSE);
                channel.read();
            }
        }

        private void armHeadDeadline() {
            headDeadline = raw.executor().schedule(this::headTimedOut, headerTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        private void disarm() {
            if (headDeadline != null) {
                headDeadline.cancel(false);
                headDeadline = null;
            }
        }

        private void disarmBody() {
            if (bodyDeadline != null) {
                bodyDeadline.cancel(false);
                bodyDeadline = null;
            }
        }

        private void armSendCheck() {
            sendCheck = raw.executor().schedule(this::checkSend, sendTimeout.toMillis() / 2, TimeUnit.MILLISECONDS);
        }

        private void disarmSend() {
            if (sendCheck != null) {
                sendCheck.cancel(false);
                sendCheck = null;
            }
        }

        /**
         * The client reads nothing when the same write waits at the head of the outbound buffer, none of it sent, at
         * three checks in a row; checks go on while something waits or a response is open.
         */
        private void checkSend() {
            sendCheck = null;
            Channel channel = raw.channel();
            if (!channel.isActive()) {
                return;
            }
            ChannelOutboundBuffer outbound = channel.unsafe().outboundBuffer();
            Object head = outbound == null ? null : outbound.current();
            if (head == null) {
                waiting = null;
                waitingChecks = 0;
                if (open > 0) {
                    armSendCheck();
                }
                return;
            }
            long progress = outbound.currentProgress();
            if (head == waiting && progress == waitingProgress) {
                if (++waitingChecks >= 2) {
                    log.debug("Connection from {} closed: the client took none of its answer for {}", channel.remoteAddress(), sendTimeout);
                    channel.close();
                    return;
                }
            } else {
                waiting = head;
                waitingProgress = progress;
                waitingChecks = 0;
            }
            armSendCheck();
        }

        /** The body did not arrive in time and nobody answered for it: Reactor Netty's request timeout did the same. */
        private void bodyTimedOut() {
            bodyDeadline = null;
            if (inBody && raw.channel().isActive()) {
                log.debug("Connection from {} closed: the request body did not arrive within {}", raw.channel().remoteAddress(),
                        bodyCutOff);
                raw.channel().close();
            }
        }

        private void headTimedOut() {
            headDeadline = null;
            if (open > 0 || inBody || refused || !raw.channel().isActive()) {
                return;
            }
            refused = true;
            String requestId = RequestIdFilter.chosen(null);
            log.debug("Connection from {} closed: no complete request head within {} (request id {})",
                    raw.channel().remoteAddress(), headerTimeout, requestId);
            GatewayError error = new GatewayError(HttpStatus.REQUEST_TIMEOUT, ErrorCode.REQUEST_TIMEOUT,
                    "The request line and headers were not received within " + headerTimeout.toMillis() + " ms.", null, null);
            // written below the codec (it holds a partial request): the raw bytes of a complete response
            raw.writeAndFlush(rawResponse("/", error, requestId)).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Why a decoded request head is answered here, or null to let it through. */
    private static GatewayError refusal(HttpRequest request) {
        DecoderResult result = request.decoderResult();
        if (result.isFailure()) {
            Throwable cause = result.cause();
            if (cause instanceof TooLongHttpLineException) {
                return new GatewayError(HttpStatus.URI_TOO_LONG, ErrorCode.URI_TOO_LONG, "The request line (method and URI) is too long.", null, null);
            }
            if (cause instanceof TooLongHttpHeaderException) {
                return new GatewayError(HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, ErrorCode.HEADERS_TOO_LARGE,
                        "The request headers are too large.", null, null);
            }
            if (cause instanceof TooLongFrameException) {
                return new GatewayError(HttpStatus.CONTENT_TOO_LARGE, ErrorCode.REQUEST_TOO_LARGE, "The request is too large.", null, null);
            }
            return GatewayError.badRequest(ErrorCode.INVALID_REQUEST, null, "The request is not valid HTTP/1.1.");
        }
        if (!HttpVersion.HTTP_1_1.equals(request.protocolVersion()) && !HttpVersion.HTTP_1_0.equals(request.protocolVersion())) {
            return GatewayError.badRequest(ErrorCode.INVALID_REQUEST, null, "Only HTTP/1.1 is served here (HTTP/2 needs TLS with ALPN).");
        }
        try {
            new URI(request.uri());
        } catch (URISyntaxException e) {
            return GatewayError.badRequest(ErrorCode.INVALID_REQUEST, null,
                    "The request URI is not valid: illegal characters or malformed percent-encoding.");
        }
        return null;
    }

    private static String pathOf(String uri) {
        int end = uri.length();
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c == '?' || c == '#') {
                end = i;
                break;
            }
        }
        String path = uri.substring(0, end);
        int scheme = path.indexOf("://");
        if (scheme >= 0) { // absolute-form: drop scheme and authority
            int slash = path.indexOf('/', scheme + 3);
            path = slash < 0 ? "/" : path.substring(slash);
        }
        return path;
    }

    private FullHttpResponse response(String path, GatewayError error, String requestId) {
        ErrorResponses.Rendered rendered = errors.render(path, error);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(rendered.status().value()),
                Unpooled.wrappedBuffer(rendered.body()));
        rendered.headers().forEach(response.headers()::set);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, rendered.body().length)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                .set(RequestIdFilter.HEADER, requestId);
        return response;
    }

    private ByteBuf rawResponse(String path, GatewayError error, String requestId) {
        ErrorResponses.Rendered rendered = errors.render(path, error);
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(rendered.status().value()).append(' ')
                .append(rendered.status().getReasonPhrase()).append("\r\n");
        rendered.headers().forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        head.append("content-length: ").append(rendered.body().length).append("\r\n")
                .append("connection: close\r\n")
                .append(RequestIdFilter.HEADER).append(": ").append(requestId).append("\r\n\r\n");
        return Unpooled.wrappedBuffer(head.toString().getBytes(StandardCharsets.ISO_8859_1), rendered.body());
    }
}
