package io.mcp.grpc.gateway;

import io.grpc.Status;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/1.1 connection of the gateway: collects a request within the limits, hands it to the
 * gateway, writes the answer, and keeps the connection for the next request. Requests are served
 * one at a time (pipelined ones wait their turn, reading paused meanwhile).
 *
 * <pre>
 *          bytes arrive             request complete           response written (keep-alive)
 *   IDLE ----------------> READING -----------------> BUSY -----------------------------------> IDLE
 *    | idleTimeout: close    | requestTimeout: 408, close     | (SSE: stays BUSY until the client leaves)
 * </pre>
 *
 * <p>State is confined to the connection's event loop; the methods other threads call
 * ({@link #respond}, {@link #respondError}, {@link #closeConnection}) hop onto it.
 */
final class GatewayHandler extends ChannelInboundHandlerAdapter {
  /** Fired by {@link ByteWatcher} when bytes arrive, before the HTTP decoder sees them. */
  static final Object BYTES_ARRIVED = new Object();

  private enum State { IDLE, READING, BUSY, CLOSING }

  private final HttpGateway gateway;
  private final HttpGatewayOptions options;
  private final ArrayDeque<Object> pending = new ArrayDeque<>();
  private ChannelHandlerContext ctx;
  private State state = State.IDLE;
  private ScheduledFuture<?> timer;
  private HttpRequest head;
  private CompositeByteBuf content;
  private boolean keepAlive;
  private Runnable cancelCall;
  private SseHub.Stream stream;

  GatewayHandler(HttpGateway gateway, HttpGatewayOptions options) {
    this.gateway = gateway;
    this.options = options;
  }

  Channel channel() {
    return ctx.channel();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    arm(options.idleTimeout().toNanos(), State.IDLE, () -> ctx.close());
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    state = State.CLOSING;
    cancelTimer();
    releaseBody();
    Object message;
    while ((message = pending.poll()) != null) {
      ReferenceCountUtil.release(message);
    }
    if (cancelCall != null) {
      cancelCall.run();
      cancelCall = null;
    }
    if (stream != null) {
      stream.detach(this);
      stream = null;
    }
    super.channelInactive(ctx);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt == BYTES_ARRIVED) {
      if (state == State.IDLE) {
        startReading();
      }
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  private void startReading() {
    state = State.READING;
    long timeout = options.requestTimeout().toNanos();
    arm(timeout, State.READING, () -> fail(HttpResponseStatus.REQUEST_TIMEOUT, "REQUEST_TIMEOUT",
        "request not received in full within " + options.requestTimeout().toMillis() + " ms"));
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    if (stream != null && ctx.channel().isWritable()) {
      stream.writable(this);
    }
    super.channelWritabilityChanged(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (stream != null || state == State.CLOSING) {
      ReferenceCountUtil.release(msg); // an SSE client has nothing more to say; a closing one is ignored
      return;
    }
    if (state == State.BUSY || !pending.isEmpty()) {
      pending.add(msg); // pipelined: served after the current response
      return;
    }
    handle(msg);
  }

  private void handle(Object msg) {
    if (msg instanceof HttpRequest) {
      HttpRequest request = (HttpRequest) msg;
      if (request.decoderResult().isFailure()) {
        ReferenceCountUtil.release(msg);
        decodeFailure(request.decoderResult().cause());
        return;
      }
      if (state == State.IDLE) {
        startReading();
      }
      releaseBody();
      head = request;
      keepAlive = HttpUtil.isKeepAlive(request);
      long length;
      try {
        length = HttpUtil.getContentLength(request, -1L);
      } catch (NumberFormatException e) {
        ReferenceCountUtil.release(msg);
        fail(HttpResponseStatus.BAD_REQUEST, "INVALID_ARGUMENT", "Content-Length is not a number");
        return;
      }
      if (length > options.maxBodyBytes()) {
        ReferenceCountUtil.release(msg);
        fail(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "RESOURCE_EXHAUSTED", "request body of " + length
            + " bytes exceeds max " + options.maxBodyBytes());
        return;
      }
      if (HttpUtil.is100ContinueExpected(request)) {
        ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
            Unpooled.EMPTY_BUFFER));
      }
      content = ctx.alloc().compositeBuffer(1024);
    }
    if (msg instanceof HttpContent) {
      HttpContent chunk = (HttpContent) msg;
      if (head == null || content == null) {
        chunk.release(); // the rest of a refused request
        return;
      }
      if (chunk.decoderResult().isFailure()) {
        chunk.release();
        decodeFailure(chunk.decoderResult().cause());
        return;
      }
      if ((long) content.readableBytes() + chunk.content().readableBytes() > options.maxBodyBytes()) {
        chunk.release();
        fail(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "RESOURCE_EXHAUSTED", "request body exceeds max "
            + options.maxBodyBytes() + " bytes");
        return;
      }
      content.addComponent(true, chunk.content().retain());
      chunk.release();
      if (chunk instanceof LastHttpContent) {
        state = State.BUSY;
        cancelTimer();
        ctx.channel().config().setAutoRead(false);
        byte[] body = ByteBufUtil.getBytes(content);
        HttpRequest request = head;
        releaseBody();
        gateway.dispatch(this, request, body);
      }
    } else if (!(msg instanceof HttpRequest)) {
      ReferenceCountUtil.release(msg);
    }
  }

  private void decodeFailure(Throwable cause) {
    if (cause instanceof TooLongHttpHeaderException) {
      fail(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "RESOURCE_EXHAUSTED",
          "request headers exceed max " + options.maxHeaderBytes() + " bytes");
    } else if (cause instanceof TooLongHttpLineException) {
      fail(HttpResponseStatus.REQUEST_URI_TOO_LONG, "RESOURCE_EXHAUSTED",
          "request line exceeds max " + options.maxInitialLineBytes() + " bytes");
    } else if (cause instanceof TooLongFrameException) {
      fail(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "RESOURCE_EXHAUSTED", cause.getMessage());
    } else {
      fail(HttpResponseStatus.BAD_REQUEST, "INVALID_ARGUMENT", "malformed HTTP request: " + cause.getMessage());
    }
  }

  /** Answers with a JSON error and closes the connection (the rest of the request is not read). */
  void fail(HttpResponseStatus status, String code, String message) {
    if (state == State.CLOSING) {
      return;
    }
    releaseBody();
    head = null;
    keepAlive = false;
    write(json(status, errorJson(code, message)));
  }

  /** Answers the current request with the mapped HTTP status and a JSON error body. Any thread. */
  void respondError(Status.Code code, String message) {
    respond(json(HttpStatusMapping.toResponseStatus(code), errorJson(code, message)));
  }

  /** Answers the current request. Any thread. */
  void respond(FullHttpResponse response) {
    if (!ctx.executor().inEventLoop()) {
      ctx.executor().execute(() -> respond(response));
      return;
    }
    stream = null;
    cancelCall = null;
    if (state == State.CLOSING || !ctx.channel().isActive()) {
      response.release();
      return;
    }
    write(response);
  }

  /** Closes the connection. Any thread. */
  void closeConnection() {
    ctx.channel().close();
  }

  /** Called by the gateway while a call is in flight: how to cancel it if the client goes away. */
  void onCancel(Runnable cancel) {
    this.cancelCall = cancel;
  }

  /** The connection now carries an SSE stream (on the event loop or under the stream's lock). */
  void attached(SseHub.Stream stream) {
    if (!ctx.executor().inEventLoop()) {
      ctx.executor().execute(() -> attached(stream));
      return;
    }
    this.stream = stream;
    ctx.channel().config().setAutoRead(true); // to notice the client leaving
  }

  private void write(FullHttpResponse response) {
    HttpUtil.setContentLength(response, response.content().readableBytes());
    boolean close = !keepAlive;
    response.headers().set(HttpHeaderNames.CONNECTION, close ? HttpHeaderValues.CLOSE : HttpHeaderValues.KEEP_ALIVE);
    if (close) {
      state = State.CLOSING;
      cancelTimer();
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    ctx.writeAndFlush(response).addListener(f -> {
      if (!f.isSuccess()) {
        ctx.close();
      } else {
        next();
      }
    });
  }

  /** The response is out: back to IDLE, then serve whatever was pipelined meanwhile. */
  private void next() {
    if (state == State.CLOSING) {
      return;
    }
    state = State.IDLE;
    arm(options.idleTimeout().toNanos(), State.IDLE, () -> ctx.close());
    ctx.channel().config().setAutoRead(true);
    Object msg;
    while (state != State.BUSY && state != State.CLOSING && (msg = pending.poll()) != null) {
      handle(msg);
    }
  }

  private void arm(long nanos, State expected, Runnable action) {
    cancelTimer();
    timer = ctx.executor().schedule(() -> {
      if (state == expected) {
        action.run();
      }
    }, nanos, TimeUnit.NANOSECONDS);
  }

  private void cancelTimer() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private void releaseBody() {
    if (content != null) {
      content.release();
      content = null;
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  static FullHttpResponse json(HttpResponseStatus status, String json) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        Unpooled.copiedBuffer(json, StandardCharsets.UTF_8));
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8")
        .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
        .set("X-Content-Type-Options", "nosniff");
    return response;
  }

  static String errorJson(Status.Code code, String message) {
    return errorJson(code.name(), message);
  }

  static String errorJson(String code, String message) {
    return "{\"code\":" + quote(code) + ",\"message\":" + quote(message) + "}";
  }

  static String jsonObject(String key, String value) {
    return "{" + quote(key) + ":" + quote(value) + "}";
  }

  /** A JSON string literal. */
  static String quote(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        default:
          if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x2028 || c == 0x2029) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
      }
    }
    return out.append('"').toString();
  }
}
