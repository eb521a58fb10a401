package io.mcp.core.internal;

import io.mcp.codec.CloseCode;
import io.mcp.codec.Command;
import io.mcp.codec.Envelope;
import io.mcp.codec.ErrorCode;
import io.mcp.codec.FrameEncoder;
import io.mcp.codec.McpException;
import io.mcp.core.Identity;
import io.mcp.core.Reply;
import io.mcp.core.RequestException;
import io.mcp.core.Session;
import io.mcp.core.SessionClose;
import io.mcp.core.SessionListener;
import io.mcp.core.SessionState;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session on a Netty channel. The state machine lives here: transitions happen under a lock and
 * listeners run after it is released. Protocol logic is in {@link SessionHandler}.
 */
public final class NettySession implements Session {
  private static final Logger log = LoggerFactory.getLogger(NettySession.class);

  private final Object lock = new Object();
  private final Channel channel;
  private volatile SocketAddress relayedFrom;
  private final SessionConfig config;
  /** The config's listeners, shared by every session; a session gets its own list only on addListener. */
  private volatile List<SessionListener> listeners;
  private final CompletableFuture<SessionClose> closeFuture = new CompletableFuture<>();

  /** Written under the lock, read without it. */
  private volatile SessionState state = SessionState.CONNECTING;
  private SessionClose close;

  private volatile String id = "";
  private volatile String nodeId = "";
  private volatile String serviceName = "";
  private volatile Map<String, String> metadata = Map.of();
  private volatile Map<String, Long> appliedVersions = Map.of();
  private volatile Identity identity = Identity.anonymous();
  private volatile Duration heartbeatInterval = Duration.ZERO;
  private volatile long lastRttNanos = -1;
  /** Whether this session reached READY; read and written in transition() only. */
  private volatile boolean wasReady;
  private volatile boolean wasOpened;

  SessionHandler handler;
  final SessionMessaging messaging;
  private final AtomicLong queuedBytes = new AtomicLong();
  /**
   * Application frames from any thread go through this queue and one drain task per batch: the task
   * writes what is queued and then flushes, so a write can never land behind the flush meant for it.
   * Frames are handed to the channel only while it is writable; the rest wait here, in order, until
   * {@link SessionHandler#channelWritabilityChanged} drains them. So the channel holds about one high
   * water mark of application data, and the handler's own frames (pong, ping, CLOSE), written
   * straight to the channel, wait behind that much at most instead of the whole budget.
   */
  private final java.util.Queue<PendingWrite> pendingWrites = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  private final Runnable drainTask = () -> {
    drainScheduled.set(false);
    drainWrites();
  };

  private record PendingWrite(ByteBuf frame, int size, boolean budgeted, CompletableFuture<Void> result) {}

  /**
   * What Netty's outbound buffer adds to each message's size when it counts pending bytes (its
   * {@code io.netty.transport.outboundBufferEntrySizeOverhead}); used only to predict which write
   * crosses the high water mark.
   */
  private static final int ENTRY_OVERHEAD_BYTES =
      Math.max(0, Integer.getInteger("io.netty.transport.outboundBufferEntrySizeOverhead", 96));

  public NettySession(Channel channel, SessionConfig config) {
    this.channel = channel;
    this.config = config;
    this.listeners = config.listeners;
    this.messaging = new SessionMessaging(this, config, channel);
  }

  /** Sets what the handshake established. Called on the event loop before READY. */
  void establish(String id, String nodeId, String serviceName, Map<String, String> metadata,
      Map<String, Long> appliedVersions, Identity identity, Duration heartbeatInterval) {
    this.id = id;
    this.nodeId = nodeId;
    this.serviceName = serviceName;
    this.metadata = Map.copyOf(metadata);
    this.appliedVersions = Map.copyOf(appliedVersions);
    this.identity = identity;
    this.heartbeatInterval = heartbeatInterval;
  }

  private void reportTelemetry(SessionState from, SessionState to, SessionClose close) {
    io.mcp.core.Telemetry telemetry = config.telemetry;
    if (to == SessionState.HANDSHAKING) {
      wasOpened = true;
      telemetry.sessionOpened(this);
    } else if (to == SessionState.READY) {
      telemetry.handshakeSucceeded(this);
    } else if (to == SessionState.CLOSED) {
      if (wasReady) {
        telemetry.sessionClosed(this, close);
        if (close.code() == io.mcp.codec.CloseCode.SLOW_CONSUMER && close.initiator() == SessionClose.Initiator.LOCAL) {
          telemetry.slowConsumerClosed(this);
        }
      } else if (wasOpened) {
        telemetry.handshakeFailed(this, close);
      }
    }
    if (to == SessionState.READY) {
      wasReady = true;
    }
  }

  void recordRtt(long nanos) {
    lastRttNanos = nanos;
  }

  /**
   * Moves to {@code to}; {@code why} is kept as the close reason if none was set yet.
   *
   * @return false if the transition is illegal from the current state (nothing changes)
   */
  boolean transition(SessionState to, SessionClose why) {
    SessionState from;
    SessionClose finalClose;
    synchronized (lock) {
      if (!state.canTransitionTo(to)) {
        return false;
      }
      from = state;
      state = to;
      if (why != null && close == null) {
        close = why;
      }
      if (to == SessionState.CLOSED && close == null) {
        close = SessionClose.transport("connection closed");
      }
      finalClose = close;
    }
    if (to.isTerminating() && !from.isTerminating()) {
      messaging.onClosed(finalClose);
    }
    reportTelemetry(from, to, finalClose);
    if (log.isDebugEnabled()) {
      log.debug("session {} ({}) {} -> {}{}", logId(), channel.remoteAddress(), from, to,
          to.isTerminating() ? ": " + finalClose : "");
    }
    for (SessionListener listener : listeners) {
      try {
        listener.onStateChanged(this, from, to);
        if (to == SessionState.READY) {
          listener.onReady(this);
        } else if (to == SessionState.CLOSED) {
          listener.onClosed(this, finalClose);
        }
      } catch (RuntimeException e) {
        log.warn("session {}: listener {} failed", logId(), listener, e);
      }
    }
    if (to == SessionState.CLOSED) {
      closeFuture.complete(finalClose);
    }
    return true;
  }

  public Channel channel() {
    return channel;
  }

  /** The session id for log lines and messages: the channel's id until the handshake assigns one. */
  String logId() {
    String assigned = id;
    return assigned.isEmpty() ? "ch-" + channel.id().asShortText() : assigned;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public SessionState state() {
    return state;
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public String serviceName() {
    return serviceName;
  }

  @Override
  public Map<String, String> metadata() {
    return metadata;
  }

  @Override
  public Map<String, Long> appliedVersions() {
    return appliedVersions;
  }

  @Override
  public Identity identity() {
    return identity;
  }

  @Override
  public Duration heartbeatInterval() {
    return heartbeatInterval;
  }

  @Override
  public Optional<Duration> lastRtt() {
    long nanos = lastRttNanos;
    return nanos < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(nanos));
  }

  @Override
  public SocketAddress remoteAddress() {
    SocketAddress relayed = relayedFrom;
    return relayed != null ? relayed : channel.remoteAddress();
  }

  /** For a session relayed from another transport: the peer's address there. */
  public void relayedFrom(SocketAddress address) {
    this.relayedFrom = address;
  }

  @Override
  public Optional<SessionClose> closeReason() {
    synchronized (lock) {
      return Optional.ofNullable(close);
    }
  }

  @Override
  public CompletableFuture<Void> send(String type, Map<String, String> headers, ByteBuffer body) {
    SessionState current = state();
    if (current != SessionState.READY) {
      return CompletableFuture.failedFuture(new RequestException(ErrorCode.UNAVAILABLE,
          "session " + logId() + " is " + current + ", not READY"));
    }
    Envelope envelope;
    try {
      envelope = Envelope.oneWay(type, headers, body);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    return writeEnvelope(envelope);
  }

  @Override
  public CompletableFuture<Reply> request(String type, Map<String, String> headers, ByteBuffer body,
      Duration timeout) {
    return messaging.request(type, headers, body, timeout);
  }

  @Override
  public CompletableFuture<Void> sendExtension(int command, ByteBuffer payload) {
    Command extension = Command.extension(command);
    SessionState current = state();
    if (current != SessionState.READY) {
      return CompletableFuture.failedFuture(new RequestException(ErrorCode.UNAVAILABLE,
          "session " + logId() + " is " + current + ", not READY"));
    }
    int max = config.codecOptions.maxPayloadBytes();
    if (payload.remaining() > max) {
      return CompletableFuture.failedFuture(new McpException(
          CloseCode.FRAME_TOO_LARGE, "payload length " + payload.remaining() + " exceeds max " + max));
    }
    return write(Frames.encode(channel.alloc(), config.codecOptions.byteOrder(), extension, payload), true);
  }

  @Override
  public boolean isWritable() {
    // Frames queued for the event loop are not yet in the channel's buffer: count them too, so a
    // producer that honours writability keeps about one high water mark per session, not the budget.
    return channel.isWritable() && queuedBytes.get() < channel.config().getWriteBufferHighWaterMark();
  }

  @Override
  public long queuedBytes() {
    return queuedBytes.get();
  }

  /** Encodes {@code envelope} into one frame and writes it within the outbound budget. */
  CompletableFuture<Void> writeEnvelope(Envelope envelope) {
    ByteBuf frame = encode(envelope);
    return frame == null ? tooLarge(envelope) : write(frame, true);
  }

  /** Writes a small control envelope (CANCEL) outside the budget. */
  void writeEnvelopeUnbudgeted(Envelope envelope) {
    ByteBuf frame = encode(envelope);
    if (frame != null) {
      write(frame, false);
    }
  }

  /** Writes an already encoded frame shared by many sessions (broadcast): {@code frame} is consumed. */
  public CompletableFuture<Void> writeShared(ByteBuf frame) {
    if (state() != SessionState.READY) {
      frame.release();
      return CompletableFuture.failedFuture(new RequestException(ErrorCode.UNAVAILABLE,
          "session " + logId() + " is " + state() + ", not READY"));
    }
    return write(frame, true);
  }

  private ByteBuf encode(Envelope envelope) {
    if (envelope.encodedLength() > config.codecOptions.maxPayloadBytes()) {
      return null;
    }
    return Frames.encodeEnvelope(channel.alloc(), config.codecOptions.byteOrder(), envelope);
  }

  private CompletableFuture<Void> tooLarge(Envelope envelope) {
    return CompletableFuture.failedFuture(new McpException(CloseCode.FRAME_TOO_LARGE, "envelope of "
        + envelope.encodedLength() + " bytes exceeds max payload " + config.codecOptions.maxPayloadBytes()));
  }

  /**
   * Writes {@code frame}; budgeted writes count against {@code maxQueuedBytes} until the socket took
   * them and fail fast with OVERLOADED when it is exhausted. Writes from any thread share one flush
   * per event-loop turn.
   */
  private CompletableFuture<Void> write(ByteBuf frame, boolean budgeted) {
    int size = frame.readableBytes();
    if (budgeted) {
      long queued;
      do {
        queued = queuedBytes.get();
        if (queued + size > config.maxQueuedBytes) {
          frame.release();
          return CompletableFuture.failedFuture(new RequestException(ErrorCode.OVERLOADED, "outbound budget of "
              + config.maxQueuedBytes + " bytes exhausted (" + queued + " queued, " + size + " more asked)"));
        }
      } while (!queuedBytes.compareAndSet(queued, queued + size));
    }
    CompletableFuture<Void> result = new CompletableFuture<>();
    pendingWrites.add(new PendingWrite(frame, size, budgeted, result));
    scheduleDrain();
    return result;
  }

  private void scheduleDrain() {
    if (drainScheduled.compareAndSet(false, true)) {
      try {
        channel.eventLoop().execute(drainTask);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        drainScheduled.set(false);
        drainWrites(); // the event loop is gone: fail what is queued
      }
    }
  }

  /**
   * On the event loop: writes queued frames while the channel is writable, then flushes once; what
   * does not fit stays queued for the next writability change. Frames go out with void promises;
   * one listener on a batch's last write settles the whole batch (writes complete in order), so a
   * batch costs one promise, not one per frame. A batch ends where the queue is empty or where the
   * next write is predicted to cross the high water mark; if the prediction is early, another batch
   * follows, and if it is late, the channel takes one frame more than it had room for.
   */
  void drainWrites() {
    if (!channel.isActive() || state.isTerminating()) {
      PendingWrite first = pendingWrites.poll();
      if (first != null) {
        failAll(first, new RequestException(ErrorCode.UNAVAILABLE, "session " + logId() + " is "
            + (channel.isActive() ? "closing" : "closed") + "; the frame was not written"));
      }
      return;
    }
    boolean wrote = false;
    PendingWrite w;
    while (channel.isWritable() && (w = pendingWrites.poll()) != null) {
      java.util.List<PendingWrite> batch = new java.util.ArrayList<>();
      while (true) {
        batch.add(w);
        // Taken before w is written: a write can close the channel, and the close drains the queue.
        PendingWrite next = channel.bytesBeforeUnwritable() > (long) w.size + ENTRY_OVERHEAD_BYTES
            ? pendingWrites.poll() : null;
        if (next == null) {
          channel.write(w.frame).addListener(f -> {
            RequestException failure = f.isSuccess() ? null
                : new RequestException(ErrorCode.UNAVAILABLE, "write failed: " + f.cause().getMessage(), f.cause());
            for (PendingWrite done : batch) {
              complete(done, failure);
            }
          });
          break;
        }
        channel.write(w.frame, channel.voidPromise());
        w = next;
      }
      wrote = true;
    }
    if (wrote) {
      channel.flush();
      if (channel.isWritable() && !pendingWrites.isEmpty()) {
        // The socket took the batch at once, and the writability event it raised came while this
        // drain was writing: nothing else will drain the rest, so another turn does.
        scheduleDrain();
      }
    }
  }

  /** Whether application frames wait in the session's queue (on the event loop: for the channel to drain). */
  boolean holdsWrites() {
    return !pendingWrites.isEmpty();
  }

  private void failAll(PendingWrite first, RequestException failure) {
    for (PendingWrite w = first; w != null; w = pendingWrites.poll()) {
      w.frame.release();
      complete(w, failure);
    }
  }

  private void complete(PendingWrite write, RequestException failure) {
    if (write.budgeted) {
      queuedBytes.addAndGet(-write.size);
    }
    if (failure == null) {
      write.result.complete(null);
    } else {
      write.result.completeExceptionally(failure);
    }
  }

  void fireWritabilityChanged(boolean writable) {
    for (SessionListener listener : listeners) {
      try {
        listener.onWritabilityChanged(this, writable);
      } catch (RuntimeException e) {
        log.warn("session {}: listener {} failed", logId(), listener, e);
      }
    }
  }

  @Override
  public CompletableFuture<Void> close(CloseCode code, String reason) {
    if (channel.eventLoop().inEventLoop()) {
      handler.closeWith(code, reason);
    } else {
      channel.eventLoop().execute(() -> handler.closeWith(code, reason));
    }
    return closeFuture.thenApply(c -> null);
  }

  @Override
  public CompletableFuture<SessionClose> closeFuture() {
    return closeFuture;
  }

  @Override
  public void addListener(SessionListener listener) {
    synchronized (lock) {
      List<SessionListener> own = listeners instanceof CopyOnWriteArrayList ? listeners
          : new CopyOnWriteArrayList<>(listeners);
      own.add(listener);
      listeners = own;
    }
  }

  @Override
  public String toString() {
    return "Session{" + logId() + ", node=" + nodeId + ", service=" + serviceName + ", " + state() + "}";
  }
}
