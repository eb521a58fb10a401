package io.mcp.core;

import io.mcp.codec.CloseCode;
import java.util.Objects;

/**
 * Why a session ended: the CLOSE code and reason, and which side ended it.
 *
 * <p>When the connection ended without any CLOSE frame (reset, EOF, network failure), the initiator
 * is {@link Initiator#TRANSPORT} and the code is {@link CloseCode#GOING_AWAY}, since the right
 * reaction is the same: the peer is gone, reconnect (possibly elsewhere).
 *
 * <p>Immutable and thread-safe.
 */
public final class SessionClose {
  /** Which side ended the session. */
  public enum Initiator {
    /** This side sent the CLOSE. */
    LOCAL,
    /** The peer sent the CLOSE. */
    REMOTE,
    /** No CLOSE frame: the connection itself ended or failed. */
    TRANSPORT
  }

  private final CloseCode code;
  private final String reason;
  private final Initiator initiator;

  private SessionClose(CloseCode code, String reason, Initiator initiator) {
    this.code = Objects.requireNonNull(code, "code");
    this.reason = Objects.requireNonNull(reason, "reason");
    this.initiator = Objects.requireNonNull(initiator, "initiator");
  }

  /** A close that this side initiated. */
  public static SessionClose local(CloseCode code, String reason) {
    return new SessionClose(code, reason, Initiator.LOCAL);
  }

  /** A close the peer initiated with a CLOSE frame. */
  public static SessionClose remote(CloseCode code, String reason) {
    return new SessionClose(code, reason, Initiator.REMOTE);
  }

  /** The connection ended without a CLOSE frame. */
  public static SessionClose transport(String reason) {
    return new SessionClose(CloseCode.GOING_AWAY, reason, Initiator.TRANSPORT);
  }

  /** The close code. */
  public CloseCode code() {
    return code;
  }

  /** The reason, possibly empty. */
  public String reason() {
    return reason;
  }

  /** Which side ended the session. */
  public Initiator initiator() {
    return initiator;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof SessionClose)) {
      return false;
    }
    SessionClose that = (SessionClose) o;
    return code.equals(that.code) && reason.equals(that.reason) && initiator == that.initiator;
  }

  @Override
  public int hashCode() {
    return Objects.hash(code, reason, initiator);
  }

  @Override
  public String toString() {
    return initiator + " " + code + (reason.isEmpty() ? "" : " \"" + reason + "\"");
  }
}
