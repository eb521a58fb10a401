package io.mcp.core;

/**
 * The states of an MCP session, in the only order they can be entered.
 *
 * <pre>
 * CONNECTING --> HANDSHAKING --> READY --> CLOSING --> CLOSED
 *      |              |             |                    ^
 *      |              +-------------+--> CLOSING         |
 *      +----------------------------------------------->-+  (transport lost: any state to CLOSED)
 * </pre>
 *
 * <p>CONNECTING: TCP connect or accept, TLS handshake. HANDSHAKING: transport ready, Hello/Welcome
 * in progress. READY: handshake done, application frames flow. CLOSING: a CLOSE was sent or
 * received. CLOSED: the connection is gone. No state is entered twice.
 */
public enum SessionState {
  CONNECTING,
  HANDSHAKING,
  READY,
  CLOSING,
  CLOSED;

  /** Whether a session in this state may move to {@code next}. */
  public boolean canTransitionTo(SessionState next) {
    switch (this) {
      case CONNECTING:
        return next == HANDSHAKING || next == CLOSING || next == CLOSED;
      case HANDSHAKING:
        return next == READY || next == CLOSING || next == CLOSED;
      case READY:
        return next == CLOSING || next == CLOSED;
      case CLOSING:
        return next == CLOSED;
      case CLOSED:
      default:
        return false;
    }
  }

  /** Whether this state is CLOSING or CLOSED. */
  public boolean isTerminating() {
    return this == CLOSING || this == CLOSED;
  }
}
