package io.mcp.codec;

import java.io.InvalidObjectException;
import java.io.Serializable;

/**
 * The u16 code of a CLOSE frame: why a connection ends.
 *
 * <pre>
 *    0 NORMAL              4 UNSUPPORTED_VERSION   8 TOO_MANY_PINGS
 *    1 PROTOCOL_ERROR      5 HANDSHAKE_TIMEOUT     9 OVERLOADED
 *    2 FRAME_TOO_LARGE     6 IDLE_TIMEOUT         10 INTERNAL_ERROR
 *    3 UNAUTHENTICATED     7 GOING_AWAY           11 SLOW_CONSUMER
 *   12..999      reserved for future versions of the protocol
 *   1000..65535  application-defined
 * </pre>
 *
 * <p>Codes 0..11 are interned constants that may be compared with {@code ==}, also after Java
 * serialization (a deserialized known code resolves to its constant); compare other codes with
 * {@link #equals(Object)} or by {@link #value()}. Instances are immutable and thread-safe.
 */
public final class CloseCode implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Lowest application-defined code. */
  public static final int MIN_APPLICATION_CODE = 1000;
  /** Highest code (u16). */
  public static final int MAX_CODE = 0xFFFF;

  /** Orderly close; nothing went wrong. */
  public static final CloseCode NORMAL = new CloseCode(0, "NORMAL");
  /** The peer broke the protocol (unknown command, frame out of order, malformed payload). */
  public static final CloseCode PROTOCOL_ERROR = new CloseCode(1, "PROTOCOL_ERROR");
  /** A frame declared a payload larger than the receiver's maximum. */
  public static final CloseCode FRAME_TOO_LARGE = new CloseCode(2, "FRAME_TOO_LARGE");
  /** The handshake's credentials were missing or rejected. */
  public static final CloseCode UNAUTHENTICATED = new CloseCode(3, "UNAUTHENTICATED");
  /** The peer asked for a protocol version this side does not speak. */
  public static final CloseCode UNSUPPORTED_VERSION = new CloseCode(4, "UNSUPPORTED_VERSION");
  /** No complete handshake within the handshake timeout. */
  public static final CloseCode HANDSHAKE_TIMEOUT = new CloseCode(5, "HANDSHAKE_TIMEOUT");
  /** Nothing was read for the idle timeout. */
  public static final CloseCode IDLE_TIMEOUT = new CloseCode(6, "IDLE_TIMEOUT");
  /** The sender is shutting down or shedding load; reconnect, possibly elsewhere. */
  public static final CloseCode GOING_AWAY = new CloseCode(7, "GOING_AWAY");
  /** The peer sent more pings per interval than allowed. */
  public static final CloseCode TOO_MANY_PINGS = new CloseCode(8, "TOO_MANY_PINGS");
  /** The sender has no capacity (connections, handshakes, in-flight requests). */
  public static final CloseCode OVERLOADED = new CloseCode(9, "OVERLOADED");
  /** The sender failed in a way that is not the peer's fault. */
  public static final CloseCode INTERNAL_ERROR = new CloseCode(10, "INTERNAL_ERROR");
  /** The peer did not read what was written to it within the write deadline. */
  public static final CloseCode SLOW_CONSUMER = new CloseCode(11, "SLOW_CONSUMER");

  private static final CloseCode[] KNOWN = {
    NORMAL, PROTOCOL_ERROR, FRAME_TOO_LARGE, UNAUTHENTICATED, UNSUPPORTED_VERSION,
    HANDSHAKE_TIMEOUT, IDLE_TIMEOUT, GOING_AWAY, TOO_MANY_PINGS, OVERLOADED, INTERNAL_ERROR,
    SLOW_CONSUMER
  };

  private final int value;
  private final String name;

  private CloseCode(int value, String name) {
    this.value = value;
    this.name = name;
  }

  /**
   * Returns the close code for a u16 wire value. Known codes return their constant; reserved codes
   * (12..999) and application codes (1000..65535) return a value named after their number, so a
   * peer speaking a newer protocol version is still understood.
   *
   * @throws IllegalArgumentException if {@code value} is outside 0..65535
   */
  public static CloseCode of(int value) {
    if (value >= 0 && value < KNOWN.length) {
      return KNOWN[value];
    }
    if (value < 0 || value > MAX_CODE) {
      throw new IllegalArgumentException("close code " + value + " outside 0.." + MAX_CODE);
    }
    return new CloseCode(value, (value >= MIN_APPLICATION_CODE ? "APPLICATION_" : "RESERVED_") + value);
  }

  /**
   * Returns an application-defined close code.
   *
   * @throws IllegalArgumentException if {@code value} is outside 1000..65535
   */
  public static CloseCode application(int value) {
    if (value < MIN_APPLICATION_CODE || value > MAX_CODE) {
      throw new IllegalArgumentException(
          "application close code " + value + " outside " + MIN_APPLICATION_CODE + ".." + MAX_CODE);
    }
    return of(value);
  }

  /** The u16 wire value. */
  public int value() {
    return value;
  }

  /** The name, for example {@code GOING_AWAY}, {@code APPLICATION_1001} or {@code RESERVED_12}. */
  public String name() {
    return name;
  }

  /** Whether this code is application-defined (1000 and above). */
  public boolean isApplication() {
    return value >= MIN_APPLICATION_CODE;
  }

  /** Whether this code is one that MCP/1 defines (0..11). */
  public boolean isKnown() {
    return value < KNOWN.length;
  }

  /** Keeps the known codes interned: a deserialized code is the one {@link #of(int)} returns. */
  private Object readResolve() throws InvalidObjectException {
    try {
      return of(value);
    } catch (IllegalArgumentException e) {
      throw new InvalidObjectException(e.getMessage());
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CloseCode && ((CloseCode) o).value == value;
  }

  @Override
  public int hashCode() {
    return value;
  }

  @Override
  public String toString() {
    return name + "(" + value + ")";
  }
}
