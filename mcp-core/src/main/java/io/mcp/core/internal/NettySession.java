package io.mcp.core.internal;

import io.mcp.codec.CloseCode;
import io.mcp.codec.Command;
import io.mcp.codec.McpException;
import io.mcp.core.Identity;
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
  private final SessionConfig config;
  private final List<SessionListener> listeners;
  private final CompletableFuture<SessionClose> closeFuture = new CompletableFuture<>();

  private SessionState state = SessionState.CONNECTING;
  private SessionClose close;

  private volatile String id = "";
  private volatile String nodeId = "";
  private volatile String serviceName = "";
  private volatile Map<String, String> metadata = Map.of();
  private volatile Map<String, Long> appliedVersions = Map.of();
  private volatile Identity identity = Identity.anonymous();
  private volatile Duration heartbeatInterval = Duration.ZERO;
  private volatile long lastRttNanos = -1;

  SessionHandler handler;

  public NettySession(Channel channel, SessionConfig config) {
    this.channel = channel;
    this.config = config;
    this.listeners = new CopyOnWriteArrayList<>(config.listeners);
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
    if (log.isDebugEnabled()) {
      log.debug("session {} ({}) {} -> {}{}", id, channel.remoteAddress(), from, to,
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
        log.warn("session {}: listener {} failed", id, listener, e);
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

  @Override
  public String id() {
    return id;
  }

  @Override
  public SessionState state() {
    synchronized (lock) {
      return state;
    }
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
    return channel.remoteAddress();
  }

  @Override
  public Optional<SessionClose> closeReason() {
    synchronized (lock) {
      return Optional.ofNullable(close);
    }
  }

  @Override
  public CompletableFuture<Void> send(ByteBuffer payload) {
    return sendFrame(Command.DATA, payload);
  }

  @Override
  public CompletableFuture<Void> sendExtension(int command, ByteBuffer payload) {
    return sendFrame(Command.extension(command), payload);
  }

  private CompletableFuture<Void> sendFrame(Command command, ByteBuffer payload) {
    SessionState current = state();
    if (current != SessionState.READY) {
      return CompletableFuture.failedFuture(new McpException(
          CloseCode.PROTOCOL_ERROR, "session " + id + " is " + current + ", not READY"));
    }
    int max = config.codecOptions.maxPayloadBytes();
    if (payload.remaining() > max) {
      return CompletableFuture.failedFuture(new McpException(
          CloseCode.FRAME_TOO_LARGE, "payload length " + payload.remaining() + " exceeds max " + max));
    }
    ByteBuf frame = Frames.encode(channel.alloc(), config.codecOptions.byteOrder(), command, payload);
    return Futures.toCompletable(channel.writeAndFlush(frame));
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
    listeners.add(listener);
  }

  @Override
  public String toString() {
    return "Session{" + id + ", node=" + nodeId + ", service=" + serviceName + ", " + state() + "}";
  }
}
