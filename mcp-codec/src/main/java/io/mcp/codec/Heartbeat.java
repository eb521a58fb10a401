package io.mcp.codec;

import java.nio.ByteBuffer;

/**
 * The payload of a HEARTBEAT frame.
 *
 * <pre>
 * empty                       bare liveness ping; no answer expected
 * +---------+----------------+
 * | flag u8 | opaque (8 B)   |  flag 0 = ping: answer with a pong echoing the 8 bytes
 * +---------+----------------+  flag 1 = pong: the echo; its sender measures round-trip time
 * </pre>
 *
 * <p>Any other length, or another flag value, is {@link CloseCode#PROTOCOL_ERROR}. The 8 opaque
 * bytes are carried here as a {@code long} read big-endian; only their identity matters.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Heartbeat {
  /** The kind of heartbeat. */
  public enum Kind {
    /** Empty payload: liveness only. */
    BARE,
    /** Flag 0: asks for a pong. */
    PING,
    /** Flag 1: answers a ping. */
    PONG
  }

  /** Payload bytes of a ping or pong. */
  public static final int PING_PAYLOAD_BYTES = 9;

  private static final Heartbeat BARE = new Heartbeat(Kind.BARE, 0);
  private static final Frame BARE_FRAME = Frame.empty(Command.HEARTBEAT);

  private final Kind kind;
  private final long opaque;

  private Heartbeat(Kind kind, long opaque) {
    this.kind = kind;
    this.opaque = opaque;
  }

  /** A bare liveness heartbeat. */
  public static Heartbeat bare() {
    return BARE;
  }

  /** A ping carrying {@code opaque}. */
  public static Heartbeat ping(long opaque) {
    return new Heartbeat(Kind.PING, opaque);
  }

  /** A pong echoing {@code opaque}. */
  public static Heartbeat pong(long opaque) {
    return new Heartbeat(Kind.PONG, opaque);
  }

  /**
   * Parses a HEARTBEAT payload.
   *
   * @throws McpException PROTOCOL_ERROR if the payload is neither empty nor a 9-byte ping or pong
   */
  public static Heartbeat decode(ByteBuffer payload) {
    int length = payload.remaining();
    if (length == 0) {
      return BARE;
    }
    if (length != PING_PAYLOAD_BYTES) {
      throw new McpException(
          CloseCode.PROTOCOL_ERROR,
          "HEARTBEAT payload of " + length + " bytes (expected 0 or " + PING_PAYLOAD_BYTES + ")");
    }
    int p = payload.position();
    int flag = payload.get(p) & 0xFF;
    long opaque = 0;
    for (int i = 1; i < PING_PAYLOAD_BYTES; i++) {
      opaque = opaque << 8 | (payload.get(p + i) & 0xFF);
    }
    if (flag == 0) {
      return ping(opaque);
    }
    if (flag == 1) {
      return pong(opaque);
    }
    throw new McpException(
        CloseCode.PROTOCOL_ERROR, "HEARTBEAT flag " + flag + " (expected 0 ping or 1 pong)");
  }

  /**
   * Parses a HEARTBEAT frame.
   *
   * @throws IllegalArgumentException if the frame is not a HEARTBEAT
   * @throws McpException PROTOCOL_ERROR if the payload is malformed
   */
  public static Heartbeat decode(Frame frame) {
    if (frame.command() != Command.HEARTBEAT) {
      throw new IllegalArgumentException("not a HEARTBEAT frame: " + frame);
    }
    return decode(frame.payload);
  }

  /** The kind. */
  public Kind kind() {
    return kind;
  }

  /** The 8 opaque bytes as a big-endian long; 0 for a bare heartbeat. */
  public long opaque() {
    return opaque;
  }

  /** The pong that answers this ping. */
  public Heartbeat toPong() {
    if (kind != Kind.PING) {
      throw new IllegalStateException("only a PING is answered, not " + kind);
    }
    return pong(opaque);
  }

  /** The payload bytes: empty, or flag and opaque. */
  public byte[] encodePayload() {
    if (kind == Kind.BARE) {
      return new byte[0];
    }
    byte[] out = new byte[PING_PAYLOAD_BYTES];
    out[0] = (byte) (kind == Kind.PING ? 0 : 1);
    for (int i = 0; i < 8; i++) {
      out[1 + i] = (byte) (opaque >>> (56 - 8 * i));
    }
    return out;
  }

  /** This heartbeat as a HEARTBEAT frame. */
  public Frame toFrame() {
    return kind == Kind.BARE ? BARE_FRAME : Frame.of(Command.HEARTBEAT, encodePayload());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Heartbeat && ((Heartbeat) o).kind == kind && ((Heartbeat) o).opaque == opaque;
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + Long.hashCode(opaque);
  }

  @Override
  public String toString() {
    return kind == Kind.BARE ? "Heartbeat{BARE}" : String.format("Heartbeat{%s, %016x}", kind, opaque);
  }
}
