package io.mcp.core;

/**
 * Observes sessions. Every method has an empty default, so implement only what you need.
 *
 * <p>Listeners are called after the session's state has changed and outside its lock, usually on
 * the session's event loop: they must not block. An exception thrown by a listener is logged and
 * does not affect the session or other listeners.
 */
public interface SessionListener {
  /** The session moved from {@code from} to {@code to}. Called for every transition. */
  default void onStateChanged(Session session, SessionState from, SessionState to) {}

  /** The session reached READY: the handshake is complete. */
  default void onReady(Session session) {}

  /**
   * The socket's outbound buffer crossed its high water mark ({@code writable} false) or fell back
   * below its low water mark (true). Producers should pause while a session is not writable.
   */
  default void onWritabilityChanged(Session session, boolean writable) {}

  /** The session reached CLOSED; {@code close} says why and who ended it. */
  default void onClosed(Session session, SessionClose close) {}
}
