package io.mcp.core;

import java.net.SocketAddress;
import java.time.Duration;

/**
 * Connection events of a {@link ReconnectingClient}. Every method has an empty default. Called on
 * event loop threads: must not block.
 */
public interface ConnectionListener {
  /** A session to {@code endpoint} became READY. */
  default void onConnected(Session session, SocketAddress endpoint) {}

  /** The session to {@code endpoint} ended. */
  default void onDisconnected(Session session, SocketAddress endpoint, SessionClose close) {}

  /** An attempt to connect to {@code endpoint} failed before READY. */
  default void onConnectFailed(SocketAddress endpoint, Throwable cause) {}

  /** Attempt {@code attempt} (0-based) to {@code endpoint} will start after {@code delay}. */
  default void onReconnectScheduled(int attempt, Duration delay, SocketAddress endpoint) {}
}
