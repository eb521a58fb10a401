package io.mcp.codec;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One MCP/1 frame: a {@link Command} and its payload.
 *
 * <p>A frame does not copy the payload it is given. Frames produced by {@link FrameDecoder} share
 * memory with the decoded input where they can; such a frame is valid as long as its caller does
 * not overwrite that input. Use {@link #copy()} to keep a frame beyond that.
 *
 * <p>{@link #payload()} returns a fresh view each time, so readers never disturb each other.
 * Frames are immutable as long as nobody writes into the payload's backing memory, and then safe to
 * share between threads. Two frames are equal when their commands and payload bytes are.
 */
public final class Frame {
  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  final Command command;
  /** Position..limit is the payload. Never handed out without {@link ByteBuffer#duplicate()}. */
  final ByteBuffer payload;

  private Frame(Command command, ByteBuffer payload) {
    this.command = command;
    this.payload = payload;
  }

  /**
   * A frame whose payload is {@code payload}'s remaining bytes, shared, not copied. Later changes to
   * {@code payload}'s position or limit do not affect the frame.
   */
  public static Frame of(Command command, ByteBuffer payload) {
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(payload, "payload");
    return new Frame(command, payload.slice());
  }

  /** A frame whose payload is {@code payload}, shared, not copied. */
  public static Frame of(Command command, byte[] payload) {
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(payload, "payload");
    return new Frame(command, ByteBuffer.wrap(payload));
  }

  /** A frame with an empty payload. */
  public static Frame empty(Command command) {
    Objects.requireNonNull(command, "command");
    return new Frame(command, EMPTY);
  }

  /** Trusted factory for the decoder: {@code payload} is already a private slice. */
  static Frame wrap(Command command, ByteBuffer payload) {
    return new Frame(command, payload);
  }

  /** The command. */
  public Command command() {
    return command;
  }

  /** The payload's length in bytes. */
  public int payloadLength() {
    return payload.remaining();
  }

  /** A new read-write view of the payload (position 0, limit = length); the bytes are shared. */
  public ByteBuffer payload() {
    return payload.duplicate();
  }

  /** The payload copied into a new array. */
  public byte[] payloadBytes() {
    byte[] bytes = new byte[payload.remaining()];
    payload.duplicate().get(bytes);
    return bytes;
  }

  /** A frame with the same command and a private copy of the payload. */
  public Frame copy() {
    return new Frame(command, ByteBuffer.wrap(payloadBytes()));
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Frame)) {
      return false;
    }
    Frame that = (Frame) o;
    return command == that.command && payload.equals(that.payload);
  }

  @Override
  public int hashCode() {
    return 31 * command.code() + payload.hashCode();
  }

  @Override
  public String toString() {
    return "Frame{" + command + ", " + payload.remaining() + " bytes}";
  }
}
