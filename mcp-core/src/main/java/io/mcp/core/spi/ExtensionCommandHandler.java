package io.mcp.core.spi;

import io.mcp.core.Session;
import java.nio.ByteBuffer;

/**
 * Handles the frames of one extension command (0x80..0xFF) on READY sessions.
 *
 * <p>Called on the session's event loop: must not block. {@code payload} is valid only during the
 * call. An exception closes the session with INTERNAL_ERROR.
 */
public interface ExtensionCommandHandler {
  /** The command byte, 0x80..0xFF. */
  int command();

  /** Handles one frame of this command. */
  void onFrame(Session session, ByteBuffer payload);
}
