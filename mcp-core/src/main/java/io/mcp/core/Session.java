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
   * Sends {@code payload}'s remaining bytes as one DATA frame. The bytes are copied into the
   * transport's buffer before this method returns, so the caller may reuse {@code payload}.
   *
   * @return completes when the frame was written to the socket; fails with an {@link
   *     io.mcp.codec.McpException} if the session is not READY or the payload is too large
   */
  CompletableFuture<Void> send(ByteBuffer payload);

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
