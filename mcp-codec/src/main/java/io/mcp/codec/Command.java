package io.mcp.codec;

/**
 * The command byte of an MCP/1 frame.
 *
 * <pre>
 *   1 HANDSHAKE   2 DATA   3 HEARTBEAT   4 CLOSE
 *   0x80..0xFF    extension commands (registered through an SPI by the transport)
 *   anything else protocol error
 * </pre>
 *
 * <p>Instances are interned: {@link #of(int)} returns the same object for the same code, so
 * commands may be compared with {@code ==}. Instances are immutable and thread-safe.
 */
public final class Command {
  /** Lowest extension command code (0x80). */
  public static final int MIN_EXTENSION_CODE = 0x80;
  /** Highest extension command code (0xFF). */
  public static final int MAX_EXTENSION_CODE = 0xFF;

  /** The client's first frame; payload {@code mcp.v1.Hello}, answered by {@code mcp.v1.Welcome}. */
  public static final Command HANDSHAKE = new Command(1, "HANDSHAKE");
  /** Application data; payload is the DATA envelope. */
  public static final Command DATA = new Command(2, "DATA");
  /** Liveness ping/pong; payload empty, or 1 flag byte and 8 opaque bytes. */
  public static final Command HEARTBEAT = new Command(3, "HEARTBEAT");
  /** The last frame of a connection; payload u16 code and UTF-8 reason. */
  public static final Command CLOSE = new Command(4, "CLOSE");

  private static final Command[] BY_CODE = new Command[256];

  static {
    BY_CODE[1] = HANDSHAKE;
    BY_CODE[2] = DATA;
    BY_CODE[3] = HEARTBEAT;
    BY_CODE[4] = CLOSE;
    for (int code = MIN_EXTENSION_CODE; code <= MAX_EXTENSION_CODE; code++) {
      BY_CODE[code] = new Command(code, String.format("EXTENSION_0x%02X", code));
    }
  }

  private final int code;
  private final String name;

  private Command(int code, String name) {
    this.code = code;
    this.name = name;
  }

  /**
   * Returns the command for a wire code.
   *
   * @throws IllegalArgumentException if {@code code} is neither 1..4 nor 0x80..0xFF
   */
  public static Command of(int code) {
    Command command = lookup(code);
    if (command == null) {
      throw new IllegalArgumentException(
          "command " + code + " is not defined (allowed: 1..4, 128..255)");
    }
    return command;
  }

  /**
   * Returns the extension command for {@code code}.
   *
   * @throws IllegalArgumentException if {@code code} is outside 0x80..0xFF
   */
  public static Command extension(int code) {
    if (code < MIN_EXTENSION_CODE || code > MAX_EXTENSION_CODE) {
      throw new IllegalArgumentException(
          "extension command " + code + " outside " + MIN_EXTENSION_CODE + ".." + MAX_EXTENSION_CODE);
    }
    return BY_CODE[code];
  }

  /** Returns the command for a wire code, or {@code null} when the code is not a command. */
  static Command lookup(int code) {
    return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
  }

  /** The wire code, 1..4 or 0x80..0xFF. */
  public int code() {
    return code;
  }

  /** Whether this is an extension command (0x80..0xFF). */
  public boolean isExtension() {
    return code >= MIN_EXTENSION_CODE;
  }

  /** The command's name, for example {@code DATA} or {@code EXTENSION_0x80}. */
  public String name() {
    return name;
  }

  @Override
  public String toString() {
    return name;
  }
}
