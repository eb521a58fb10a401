package io.mcp.core;

import io.mcp.codec.CloseCode;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One MCP connection between a client (an agent) and a server (a controller), seen from either end.
 *
 * <p>All methods are thread-safe. Sends may be called from any thread; they are carried out on the
 * session's event loop in call order.
 */
public interface Session {
  /** The session id the server assigned in its Welcome; empty until then on the client. */
  String id();

  /** The current state. */
  SessionState state();

  /** The client's node id, from its Hello. */
  String nodeId();

  /** The client's service name, from its Hello. */
  String serviceName();

  /** The client's metadata, from its Hello. Unmodifiable. */
  Map<String, String> metadata();

  /** The versions the client had applied when it said Hello: service to version. Unmodifiable. */
  Map<String, Long> appliedVersions();

  /** The authenticated peer; on the client side, the server's identity as configured. */
  Identity identity();

  /** The heartbeat interval both sides agreed on in the handshake. */
  Duration heartbeatInterval();

  /** The round-trip time measured by the last answered ping, if any was answered yet. */
  Optional<Duration> lastRtt();

  /** The peer's address. */
  SocketAddress remoteAddress();

  /** Why the session closed, once it is CLOSING or CLOSED. */
  Optional<SessionClose> closeReason();

  /**
   * Sends a one-way message of {@code type}. The body's remaining bytes are copied into the
   * transport's buffer before this method returns.
   *
   * @return completes when the frame was written to the socket; fails with {@link RequestException}
   *     UNAVAILABLE if the session is not READY, OVERLOADED if the outbound budget is exhausted
   */
  CompletableFuture<Void> send(String type, Map<String, String> headers, ByteBuffer body);

  /** {@link #send(String, Map, ByteBuffer)} without headers. */
  default CompletableFuture<Void> send(String type, ByteBuffer body) {
    return send(type, Map.of(), body);
  }

  /**
   * Sends a request and returns its response. The peer sees the timeout as the request's deadline;
   * when it passes, the future fails with {@link RequestException} DEADLINE_EXCEEDED. Cancelling the
   * future sends CANCEL to the peer. If the session closes first, it fails with UNAVAILABLE. A
   * request is never sent twice.
   *
   * @return the response; a {@link Reply} owns a copy of the received body
   */
  CompletableFuture<Reply> request(String type, Map<String, String> headers, ByteBuffer body, Duration timeout);

  /** {@link #request(String, Map, ByteBuffer, Duration)} without headers. */
  default CompletableFuture<Reply> request(String type, ByteBuffer body, Duration timeout) {
    return request(type, Map.of(), body, timeout);
  }

  /**
   * The blocking form of {@link #request(String, ByteBuffer, Duration)}. Never call it on an event
   * loop thread.
   *
   * @throws RequestException with the responder's code, or DEADLINE_EXCEEDED, UNAVAILABLE,
   *     OVERLOADED; CANCELLED if the calling thread is interrupted (the request is cancelled)
   */
  default Reply requestBlocking(String type, ByteBuffer body, Duration timeout) {
    CompletableFuture<Reply> future = request(type, body, timeout);
    try {
      return future.get();
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new RequestException(io.mcp.codec.ErrorCode.CANCELLED, "interrupted while waiting for " + type);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RequestException) {
        throw (RequestException) cause;
      }
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new RequestException(io.mcp.codec.ErrorCode.UNKNOWN, String.valueOf(cause), cause);
    }
  }

  /**
   * Whether the session can take more now: the socket's outbound buffer is below its high water
   * mark and so are the bytes this session has queued but not yet handed to the socket. Producers
   * should pause while it is false (and may resume on {@link
   * SessionListener#onWritabilityChanged}); sends still succeed up to the outbound budget.
   */
  boolean isWritable();

  /** Bytes written but not yet taken by the socket, counted against the outbound budget. */
  long queuedBytes();

  /**
   * Sends an extension frame (command 0x80..0xFF) with {@code payload}'s remaining bytes, copied
   * before this method returns. The peer must have registered the command, or it closes the session
   * with PROTOCOL_ERROR: MCP/1 has no negotiation of extensions.
   *
   * @throws IllegalArgumentException if {@code command} is outside 0x80..0xFF
   */
  CompletableFuture<Void> sendExtension(int command, ByteBuffer payload);

  /**
   * Closes the session: sends CLOSE({@code code}, {@code reason}) and then closes the connection
   * so that the CLOSE reaches the peer. Does nothing if the session is already closing.
   *
   * @return completes when the session is CLOSED
   */
  CompletableFuture<Void> close(CloseCode code, String reason);

  /** Closes with {@link CloseCode#NORMAL}. */
  default CompletableFuture<Void> close() {
    return close(CloseCode.NORMAL, "");
  }

  /** A future that completes with the close reason when the session is CLOSED. */
  CompletableFuture<SessionClose> closeFuture();

  /** Adds a listener for this session only. */
  void addListener(SessionListener listener);
}
