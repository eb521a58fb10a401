package io.mcp.core.internal;

import io.mcp.codec.CloseCode;
import io.mcp.codec.Envelope;
import io.mcp.codec.ErrorCode;
import io.mcp.codec.McpException;
import io.mcp.core.AsyncMessageHandler;
import io.mcp.core.Message;
import io.mcp.core.MessageHandler;
import io.mcp.core.Reply;
import io.mcp.core.RequestException;
import io.mcp.core.Session;
import io.mcp.core.SessionClose;
import io.mcp.core.SessionState;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Request/response and one-way messaging over one session's DATA envelopes.
 *
 * <p>Requester side (any thread): outstanding requests by correlation id, each with a deadline
 * timer on the event loop; cancelling the returned future sends CANCEL. Responder side (event loop
 * only): requests in flight by id, bounded; handlers run on the executor (blocking) or the loop
 * (non-blocking); a request whose deadline passed or that was cancelled before its handler started
 * is never executed; every request gets exactly one RESPONSE or ERROR unless cancelled.
 */
final class SessionMessaging {
  private static final Logger log = LoggerFactory.getLogger(SessionMessaging.class);

  private final NettySession session;
  private final SessionConfig config;
  private final Channel channel;

  private final AtomicLong nextId = new AtomicLong();
  private final ConcurrentHashMap<Long, PendingRequest> outstanding = new ConcurrentHashMap<>();
  private final Map<Long, InboundCall> inFlight = new HashMap<>();
  private boolean closed;

  SessionMessaging(NettySession session, SessionConfig config, Channel channel) {
    this.session = session;
    this.config = config;
    this.channel = channel;
  }

  private long now() {
    return channel.eventLoop().ticker().nanoTime();
  }

  // ---------------------------------------------------------------- requester side

  CompletableFuture<Reply> request(String type, Map<String, String> headers, ByteBuffer body, Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("timeout " + timeout + " must be positive"));
    }
    SessionState state = session.state();
    if (state != SessionState.READY) {
      return CompletableFuture.failedFuture(new RequestException(ErrorCode.UNAVAILABLE,
          "session " + session.id() + " is " + state + ", not READY"));
    }
    if (outstanding.size() >= config.maxOutstandingRequests) {
      return CompletableFuture.failedFuture(new RequestException(ErrorCode.OVERLOADED,
          outstanding.size() + " requests outstanding, max " + config.maxOutstandingRequests));
    }
    long timeoutMillis = Math.min(Math.max(1, (timeout.toNanos() + 999_999) / 1_000_000), Envelope.MAX_TIMEOUT_MILLIS);
    long id = nextId.incrementAndGet();
    Envelope envelope;
    try {
      envelope = Envelope.request(id, type, timeoutMillis, headers, body);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    PendingRequest pending = new PendingRequest(id, type, timeoutMillis);
    io.mcp.core.Telemetry telemetry = config.telemetry;
    if (telemetry != io.mcp.core.Telemetry.NOOP) {
      long start = System.nanoTime();
      pending.whenComplete((reply, e) -> telemetry.requestCompleted(type, errorCode(e), System.nanoTime() - start));
    }
    outstanding.put(id, pending);
    pending.timer = channel.eventLoop().schedule(pending::expire, timeoutMillis, TimeUnit.MILLISECONDS);
    session.writeEnvelope(envelope).whenComplete((ok, e) -> {
      if (e != null) {
        pending.fail(e instanceof RequestException ? (RequestException) e
            : new RequestException(ErrorCode.UNAVAILABLE, "request " + type + " not sent: " + e.getMessage(), e));
      }
    });
    return pending;
  }

  /** A request's future; {@code cancel} tells the responder. */
  private final class PendingRequest extends CompletableFuture<Reply> {
    final long id;
    final String type;
    final long timeoutMillis;
    volatile ScheduledFuture<?> timer;

    PendingRequest(long id, String type, long timeoutMillis) {
      this.id = id;
      this.type = type;
      this.timeoutMillis = timeoutMillis;
    }

    void expire() {
      if (outstanding.remove(id, this)) {
        completeExceptionally(new RequestException(ErrorCode.DEADLINE_EXCEEDED,
            "no response to " + type + " within " + timeoutMillis + " ms"));
      }
    }

    void fail(RequestException e) {
      if (outstanding.remove(id, this)) {
        cancelTimer();
        completeExceptionally(e);
      }
    }

    void answer(Reply reply) {
      cancelTimer();
      complete(reply);
    }

    void cancelTimer() {
      ScheduledFuture<?> t = timer;
      if (t != null) {
        t.cancel(false);
      }
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      if (cancelled && outstanding.remove(id, this)) {
        cancelTimer();
        if (session.state() == SessionState.READY) {
          session.writeEnvelopeUnbudgeted(Envelope.cancel(id));
        }
      }
      return cancelled;
    }
  }

  // ---------------------------------------------------------------- inbound (event loop)

  void onEnvelope(Envelope envelope, ByteBuf payload) {
    switch (envelope.kind()) {
      case RESPONSE: {
        PendingRequest pending = outstanding.remove(envelope.correlationId());
        if (pending != null) {
          // The one deliberate copy on the receive path (PROTOCOL.md §11.5.11): a future has no point
          // at which the caller is done with the body, so the pooled payload cannot be lent out.
          ByteBuffer copy = ByteBuffer.allocate(envelope.bodyLength()).put(envelope.body()).flip();
          pending.answer(Reply.of(envelope.headers(), copy));
        }
        return;
      }
      case ERROR: {
        if (envelope.correlationId() == 0) {
          log.warn("session {}: peer reported {}: {}", session.id(), envelope.errorCode(), envelope.errorMessage());
          return;
        }
        PendingRequest pending = outstanding.remove(envelope.correlationId());
        if (pending != null) {
          pending.cancelTimer();
          pending.completeExceptionally(new RequestException(envelope.errorCode(), envelope.errorMessage()));
        }
        return;
      }
      case CANCEL: {
        InboundCall call = inFlight.remove(envelope.correlationId());
        if (call != null) {
          call.cancel();
        }
        return;
      }
      default:
        dispatch(envelope, payload);
    }
  }

  private void dispatch(Envelope envelope, ByteBuf payload) {
    boolean request = envelope.kind() == Envelope.Kind.REQUEST;
    long id = envelope.correlationId();
    String type = envelope.type();
    if (request && inFlight.containsKey(id)) {
      throw new McpException(CloseCode.PROTOCOL_ERROR, "request id " + Long.toUnsignedString(id) + " is already in flight");
    }
    MessageHandler blocking = config.handlers.blocking(type);
    AsyncMessageHandler async = blocking == null ? config.handlers.nonBlocking(type) : null;
    if (blocking == null && async == null) {
      answerError(request ? id : 0, ErrorCode.UNKNOWN_MESSAGE_TYPE, "no handler for message type " + type);
      if (request) {
        config.telemetry.requestHandled(type, ErrorCode.UNKNOWN_MESSAGE_TYPE, 0);
      }
      return;
    }
    if (request && inFlight.size() >= config.maxInFlightRequests) {
      answerError(id, ErrorCode.OVERLOADED, inFlight.size() + " requests in flight, max " + config.maxInFlightRequests);
      config.telemetry.requestHandled(type, ErrorCode.OVERLOADED, 0);
      return;
    }
    long deadline = envelope.timeoutMillis() == 0 ? 0 : now() + TimeUnit.MILLISECONDS.toNanos(envelope.timeoutMillis());
    InboundCall call = new InboundCall(envelope, payload.retain(), request, deadline);
    if (request) {
      inFlight.put(id, call);
      if (deadline != 0) {
        call.timer = channel.eventLoop().schedule(() -> expire(call), envelope.timeoutMillis(), TimeUnit.MILLISECONDS);
      }
    }
    if (async != null) {
      CompletionStage<Reply> stage;
      try {
        stage = async.handle(call);
        if (stage == null) {
          stage = CompletableFuture.failedFuture(new NullPointerException("handler returned no stage"));
        }
      } catch (RuntimeException e) {
        stage = CompletableFuture.failedFuture(e);
      }
      stage.whenComplete((reply, error) -> {
        if (channel.eventLoop().inEventLoop()) {
          finish(call, reply, error); // completed on the loop (usually at once): no task hop
        } else {
          onLoop(call, () -> finish(call, reply, error));
        }
      });
      return;
    }
    try {
      config.handlerExecutor.execute(() -> runBlocking(call, blocking));
    } catch (RejectedExecutionException e) {
      finish(call, null, new RequestException(ErrorCode.OVERLOADED, "handler executor is saturated"));
    }
  }

  private void runBlocking(InboundCall call, MessageHandler handler) {
    if (call.isCancelled() || call.expired()) {
      // Never executed late: the answer (DEADLINE_EXCEEDED, or nothing after CANCEL) is sent by expire/cancel.
      onLoop(call, () -> finish(call, null, new RequestException(ErrorCode.DEADLINE_EXCEEDED,
          "deadline passed before the handler for " + call.type() + " started")));
      return;
    }
    Reply reply = null;
    Throwable error = null;
    LogContext.enter(session, call.headers());
    try {
      reply = handler.handle(call);
    } catch (Throwable t) {
      error = t;
    } finally {
      LogContext.exit();
    }
    Reply r = reply;
    Throwable e = error;
    onLoop(call, () -> finish(call, r, e));
  }

  private void onLoop(InboundCall call, Runnable task) {
    try {
      channel.eventLoop().execute(task);
    } catch (RejectedExecutionException e) {
      call.release(); // the event loop is gone: nothing can be answered
    }
  }

  private void expire(InboundCall call) {
    if (inFlight.remove(call.correlationId, call)) {
      call.cancel();
      answerError(call.correlationId, ErrorCode.DEADLINE_EXCEEDED,
          "deadline of " + call.envelope.timeoutMillis() + " ms passed before the response");
      config.telemetry.requestHandled(call.type(), ErrorCode.DEADLINE_EXCEEDED, now() - call.receivedNanos);
    }
  }

  private void finish(InboundCall call, Reply reply, Throwable error) {
    // The payload is released only after the answer is encoded: a reply may be a view of it (echo).
    try {
      answer(call, reply, error);
    } finally {
      call.release();
    }
  }

  private void answer(InboundCall call, Reply reply, Throwable error) {
    if (!call.request) {
      if (error != null && !(error instanceof RequestException)) {
        log.warn("session {}: handler for one-way {} failed", session.id(), call.type(), error);
      }
      return;
    }
    if (!inFlight.remove(call.correlationId, call)) {
      return; // cancelled or expired: already answered, or nothing is owed
    }
    if (call.timer != null) {
      call.timer.cancel(false);
    }
    if (error != null) {
      Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
          ? error.getCause() : error;
      if (cause instanceof RequestException) {
        answerError(call.correlationId, ((RequestException) cause).errorCode(), cause.getMessage());
        config.telemetry.requestHandled(call.type(), ((RequestException) cause).errorCode(), now() - call.receivedNanos);
      } else {
        log.warn("session {}: handler for {} failed", session.id(), call.type(), cause);
        answerError(call.correlationId, ErrorCode.UNKNOWN, "handler for " + call.type() + " failed");
        config.telemetry.requestHandled(call.type(), ErrorCode.UNKNOWN, now() - call.receivedNanos);
      }
      return;
    }
    config.telemetry.requestHandled(call.type(), null, now() - call.receivedNanos);
    Reply answer = reply != null ? reply : Reply.empty();
    respond(Envelope.response(call.correlationId, answer.headers(), answer.body()));
  }

  private void answerError(long id, ErrorCode code, String message) {
    respond(Envelope.error(id, code, message));
  }

  private void respond(Envelope envelope) {
    if (closed) {
      return;
    }
    session.writeEnvelope(envelope).whenComplete((ok, e) -> {
      if (e instanceof RequestException && ((RequestException) e).errorCode().equals(ErrorCode.OVERLOADED)) {
        session.close(CloseCode.SLOW_CONSUMER, "outbound budget exhausted while answering: " + e.getMessage());
      }
    });
  }

  /** The session closed: fail what is outstanding, cancel what runs. Event loop. */
  void onClosed(SessionClose close) {
    closed = true;
    RequestException lost = new RequestException(ErrorCode.UNAVAILABLE, "session closed: " + close);
    for (PendingRequest pending : new ArrayList<>(outstanding.values())) {
      pending.fail(lost);
    }
    List<InboundCall> running = new ArrayList<>(inFlight.values());
    inFlight.clear();
    for (InboundCall call : running) {
      call.cancel();
    }
  }

  private static ErrorCode errorCode(Throwable e) {
    if (e == null) {
      return null;
    }
    Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof RequestException) {
      return ((RequestException) cause).errorCode();
    }
    return cause instanceof java.util.concurrent.CancellationException ? ErrorCode.CANCELLED : ErrorCode.UNKNOWN;
  }

  int inFlightCount() {
    return inFlight.size();
  }

  int outstandingCount() {
    return outstanding.size();
  }

  /** A received one-way message or request while it is handled. */
  private final class InboundCall implements Message {
    final Envelope envelope;
    final long correlationId;
    final boolean request;
    final long deadlineNanos;
    final long receivedNanos = now();
    private final ByteBuf payload;
    private final AtomicBoolean released = new AtomicBoolean();
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final List<Runnable> cancelActions = new ArrayList<>();
    ScheduledFuture<?> timer;

    InboundCall(Envelope envelope, ByteBuf payload, boolean request, long deadlineNanos) {
      this.envelope = envelope;
      this.correlationId = envelope.correlationId();
      this.payload = payload;
      this.request = request;
      this.deadlineNanos = deadlineNanos;
    }

    boolean expired() {
      return deadlineNanos != 0 && now() - deadlineNanos >= 0;
    }

    void release() {
      if (released.compareAndSet(false, true)) {
        payload.release();
      }
    }

    void cancel() {
      if (timer != null) {
        timer.cancel(false);
      }
      List<Runnable> actions;
      synchronized (cancelActions) {
        if (!cancelled.compareAndSet(false, true)) {
          return;
        }
        actions = new ArrayList<>(cancelActions);
        cancelActions.clear();
      }
      for (Runnable action : actions) {
        try {
          action.run();
        } catch (RuntimeException e) {
          log.warn("session {}: cancel action failed", session.id(), e);
        }
      }
    }

    @Override
    public Session session() {
      return session;
    }

    @Override
    public String type() {
      return envelope.type();
    }

    @Override
    public Map<String, String> headers() {
      return envelope.headers();
    }

    @Override
    public ByteBuffer body() {
      return envelope.body();
    }

    @Override
    public boolean isRequest() {
      return request;
    }

    @Override
    public Optional<Duration> timeRemaining() {
      if (deadlineNanos == 0) {
        return Optional.empty();
      }
      return Optional.of(Duration.ofNanos(Math.max(0, deadlineNanos - now())));
    }

    @Override
    public boolean isCancelled() {
      return cancelled.get();
    }

    @Override
    public void onCancel(Runnable action) {
      synchronized (cancelActions) {
        if (!cancelled.get()) {
          cancelActions.add(action);
          return;
        }
      }
      action.run();
    }
  }
}
