package io.mcp.codec;

import java.io.InvalidObjectException;
import java.io.Serializable;

/**
 * The u16 code of an ERROR envelope: why a request failed. The numbers are those of gRPC's status
 * codes, so a failure means the same thing on both transports.
 *
 * <pre>
 *  1 CANCELLED             the requester cancelled
 *  2 UNKNOWN               the handler failed in an unexpected way
 *  3 INVALID_ARGUMENT      the handler rejected the request
 *  4 DEADLINE_EXCEEDED     the deadline passed before the response
 *  5 NOT_FOUND             a named entity does not exist
 *  7 PERMISSION_DENIED     the peer may not do this
 *  8 OVERLOADED            too many requests in flight, or the send budget is exhausted
 *  9 FAILED_PRECONDITION   the system is not in a state to do this
 * 12 UNKNOWN_MESSAGE_TYPE  no handler is registered for the message type
 * 13 INTERNAL              an invariant broke on the responder
 * 14 UNAVAILABLE           the session is not READY or was lost before the response (local)
 * 16 UNAUTHENTICATED       credentials are missing or invalid
 * 1000..65535              application-defined
 * </pre>
 *
 * <p>Known codes are interned constants, also after Java serialization. Instances are immutable
 * and thread-safe.
 */
public final class ErrorCode implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final ErrorCode CANCELLED = new ErrorCode(1, "CANCELLED");
  public static final ErrorCode UNKNOWN = new ErrorCode(2, "UNKNOWN");
  public static final ErrorCode INVALID_ARGUMENT = new ErrorCode(3, "INVALID_ARGUMENT");
  public static final ErrorCode DEADLINE_EXCEEDED = new ErrorCode(4, "DEADLINE_EXCEEDED");
  public static final ErrorCode NOT_FOUND = new ErrorCode(5, "NOT_FOUND");
  public static final ErrorCode PERMISSION_DENIED = new ErrorCode(7, "PERMISSION_DENIED");
  public static final ErrorCode OVERLOADED = new ErrorCode(8, "OVERLOADED");
  public static final ErrorCode FAILED_PRECONDITION = new ErrorCode(9, "FAILED_PRECONDITION");
  public static final ErrorCode UNKNOWN_MESSAGE_TYPE = new ErrorCode(12, "UNKNOWN_MESSAGE_TYPE");
  public static final ErrorCode INTERNAL = new ErrorCode(13, "INTERNAL");
  public static final ErrorCode UNAVAILABLE = new ErrorCode(14, "UNAVAILABLE");
  public static final ErrorCode UNAUTHENTICATED = new ErrorCode(16, "UNAUTHENTICATED");

  private static final ErrorCode[] KNOWN = new ErrorCode[17];

  static {
    for (ErrorCode code : new ErrorCode[] {CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND,
        PERMISSION_DENIED, OVERLOADED, FAILED_PRECONDITION, UNKNOWN_MESSAGE_TYPE, INTERNAL, UNAVAILABLE,
        UNAUTHENTICATED}) {
      KNOWN[code.value] = code;
    }
  }

  private final int value;
  private final String name;

  private ErrorCode(int value, String name) {
    this.value = value;
    this.name = name;
  }

  /**
   * The code for a u16 value; unassigned values get a name after their number.
   *
   * @throws IllegalArgumentException outside 0..65535
   */
  public static ErrorCode of(int value) {
    if (value >= 0 && value < KNOWN.length && KNOWN[value] != null) {
      return KNOWN[value];
    }
    if (value < 0 || value > 0xFFFF) {
      throw new IllegalArgumentException("error code " + value + " outside 0..65535");
    }
    return new ErrorCode(value, (value >= 1000 ? "APPLICATION_" : "CODE_") + value);
  }

  /** The u16 wire value. */
  public int value() {
    return value;
  }

  /** The name, for example {@code DEADLINE_EXCEEDED}. */
  public String name() {
    return name;
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
    return o instanceof ErrorCode && ((ErrorCode) o).value == value;
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
