package io.mcp.codec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The payload of a CLOSE frame.
 *
 * <pre>
 * +-------------+---------------------------+
 * | code (u16)  | reason (UTF-8, 0+ bytes)  |
 * +-------------+---------------------------+
 *   big-endian    the rest of the payload
 * </pre>
 *
 * <p>The code is always big-endian, whatever byte order the frame layer uses. Reasons are limited
 * to {@link #MAX_REASON_BYTES} bytes when encoded (longer ones are cut at a character boundary);
 * malformed UTF-8 in a received reason is replaced, not refused, since a CLOSE is the last frame and
 * its code is what matters.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Close {
  /** Largest reason this side writes, in UTF-8 bytes. */
  public static final int MAX_REASON_BYTES = 1024;

  private final CloseCode code;
  private final String reason;

  private Close(CloseCode code, String reason) {
    this.code = code;
    this.reason = reason;
  }

  /** A close with {@code code} and {@code reason} (may be empty, never null). */
  public static Close of(CloseCode code, String reason) {
    return new Close(Objects.requireNonNull(code, "code"), truncate(Objects.requireNonNull(reason, "reason")));
  }

  /** The close that reports {@code e} to the peer: its code and message. */
  public static Close of(McpException e) {
    String message = e.getMessage();
    return of(e.closeCode(), message == null ? "" : message);
  }

  /**
   * Parses a CLOSE frame's payload.
   *
   * @throws McpException PROTOCOL_ERROR if the payload is shorter than 2 bytes
   */
  public static Close decode(ByteBuffer payload) {
    if (payload.remaining() < 2) {
      throw new McpException(
          CloseCode.PROTOCOL_ERROR,
          "CLOSE payload of " + payload.remaining() + " bytes is shorter than its 2-byte code");
    }
    int p = payload.position();
    int value = (payload.get(p) & 0xFF) << 8 | (payload.get(p + 1) & 0xFF);
    ByteBuffer reasonBytes = payload.slice(p + 2, payload.remaining() - 2);
    String reason = StandardCharsets.UTF_8.decode(reasonBytes).toString();
    return new Close(CloseCode.of(value), reason);
  }

  /**
   * Parses a CLOSE frame.
   *
   * @throws IllegalArgumentException if the frame is not a CLOSE
   * @throws McpException PROTOCOL_ERROR if the payload is malformed
   */
  public static Close decode(Frame frame) {
    if (frame.command() != Command.CLOSE) {
      throw new IllegalArgumentException("not a CLOSE frame: " + frame);
    }
    return decode(frame.payload);
  }

  /** The code. */
  public CloseCode code() {
    return code;
  }

  /** The reason; empty when none was given. */
  public String reason() {
    return reason;
  }

  /** The payload bytes: code then reason. */
  public byte[] encodePayload() {
    byte[] reasonBytes = reason.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[2 + reasonBytes.length];
    out[0] = (byte) (code.value() >>> 8);
    out[1] = (byte) code.value();
    System.arraycopy(reasonBytes, 0, out, 2, reasonBytes.length);
    return out;
  }

  /** This close as a CLOSE frame. */
  public Frame toFrame() {
    return Frame.of(Command.CLOSE, encodePayload());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Close && ((Close) o).code.equals(code) && ((Close) o).reason.equals(reason);
  }

  @Override
  public int hashCode() {
    return code.hashCode() * 31 + reason.hashCode();
  }

  @Override
  public String toString() {
    return reason.isEmpty() ? code.toString() : code + " \"" + reason + "\"";
  }

  /**
   * The reason as it will travel: cut to {@link #MAX_REASON_BYTES} at a character boundary, and
   * with unpaired surrogates replaced as UTF-8 encoding replaces them, so {@link #reason()} always
   * equals what the peer decodes.
   */
  private static String truncate(String reason) {
    byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_REASON_BYTES) {
      return new String(bytes, StandardCharsets.UTF_8);
    }
    int end = MAX_REASON_BYTES;
    while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
      end--; // back up to the first byte of the character that would be cut
    }
    return new String(bytes, 0, end, StandardCharsets.UTF_8);
  }
}
