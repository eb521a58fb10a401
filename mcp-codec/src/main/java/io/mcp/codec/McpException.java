package io.mcp.codec;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.util.Objects;

/**
 * The one unchecked exception of MCP. Its {@link CloseCode} is the truth: it is what the peer is
 * told in a CLOSE frame when the error ends a connection, and what callers branch on.
 *
 * <p>Messages name the offending value and the limit it broke, for example {@code "declared
 * length 5000000 exceeds max 4194304"}.
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public class McpException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Serialized with the exception, so that a deserialized one still carries its code. */
  private final CloseCode closeCode;

  /** Creates an exception with the given code and message. */
  public McpException(CloseCode closeCode, String message) {
    super(message);
    this.closeCode = Objects.requireNonNull(closeCode, "closeCode");
  }

  /** Creates an exception with the given code, message and cause. */
  public McpException(CloseCode closeCode, String message, Throwable cause) {
    super(message, cause);
    this.closeCode = Objects.requireNonNull(closeCode, "closeCode");
  }

  /** The close code that describes this error on the wire. */
  public final CloseCode closeCode() {
    return closeCode;
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    if (closeCode == null) {
      throw new InvalidObjectException("McpException without a close code");
    }
  }

  @Override
  public String toString() {
    String message = getLocalizedMessage();
    return getClass().getName() + ": " + closeCode + (message == null ? "" : ": " + message);
  }
}
