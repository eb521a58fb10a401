package io.mcp.core;

import java.nio.ByteBuffer;

/**
 * Receives the payloads of DATA frames of READY sessions.
 *
 * <p>Called on the session's event loop, one frame at a time in arrival order: it must not block.
 * {@code payload} is valid only during the call (its memory is reused afterwards); copy what you
 * keep. An exception thrown here closes the session with INTERNAL_ERROR.
 */
@FunctionalInterface
public interface DataHandler {
  /** Handles one DATA payload. */
  void onData(Session session, ByteBuffer payload);

  /** A handler that drops every payload. */
  static DataHandler discard() {
    return (session, payload) -> {};
  }
}
