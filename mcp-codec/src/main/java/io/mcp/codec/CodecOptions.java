package io.mcp.codec;

import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * Limits and options of the MCP/1 frame codec. Immutable; build with {@link #builder()}, change
 * with {@link #toBuilder()}.
 *
 * <table>
 *   <caption>Options and defaults</caption>
 *   <tr><th>option</th><th>default</th></tr>
 *   <tr><td>{@link #maxPayloadBytes()}</td><td>4 MiB (4,194,304 bytes)</td></tr>
 *   <tr><td>{@link #byteOrder()}</td><td>big-endian (network order)</td></tr>
 *   <tr><td>{@link #acceptsExtension(int) accepted extension commands}</td><td>none</td></tr>
 * </table>
 *
 * <p>The byte order applies to the frame's length field only; the payloads MCP/1 defines (CLOSE
 * codes, heartbeat bytes) are always big-endian. It is never auto-detected.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class CodecOptions {
  /** The default maximum payload, 4 MiB. */
  public static final int DEFAULT_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;
  /**
   * The largest maximum payload a JVM can hold in one array: a declared length may be any u32, but
   * a receiver never accepts more than this.
   */
  public static final int MAX_MAX_PAYLOAD_BYTES = Integer.MAX_VALUE - 8;

  private static final CodecOptions DEFAULTS = new Builder().build();

  private final int maxPayloadBytes;
  private final ByteOrder byteOrder;
  /** Bit {@code code - 0x80} set when the extension command is accepted. */
  private final long[] extensions;

  private CodecOptions(Builder builder) {
    this.maxPayloadBytes = builder.maxPayloadBytes;
    this.byteOrder = builder.byteOrder;
    this.extensions = builder.extensions.clone();
  }

  /** The defaults: 4 MiB, big-endian, no extension commands. */
  public static CodecOptions defaults() {
    return DEFAULTS;
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these options. */
  public Builder toBuilder() {
    Builder builder = new Builder();
    builder.maxPayloadBytes = maxPayloadBytes;
    builder.byteOrder = byteOrder;
    builder.extensions = extensions.clone();
    return builder;
  }

  /** Largest payload accepted or produced, in bytes. */
  public int maxPayloadBytes() {
    return maxPayloadBytes;
  }

  /** Byte order of the length field. */
  public ByteOrder byteOrder() {
    return byteOrder;
  }

  /** Whether the extension command {@code code} (0x80..0xFF) is accepted by the decoder. */
  public boolean acceptsExtension(int code) {
    if (code < Command.MIN_EXTENSION_CODE || code > Command.MAX_EXTENSION_CODE) {
      return false;
    }
    int bit = code - Command.MIN_EXTENSION_CODE;
    return (extensions[bit >>> 6] & (1L << (bit & 63))) != 0;
  }

  /**
   * The accepted extension commands as ascending codes and runs, for messages: {@code "none"},
   * {@code "0x81"}, {@code "0x80, 0x90..0x9F"}.
   */
  String acceptedExtensionsText() {
    StringBuilder text = new StringBuilder();
    int code = Command.MIN_EXTENSION_CODE;
    while (code <= Command.MAX_EXTENSION_CODE) {
      if (!acceptsExtension(code)) {
        code++;
        continue;
      }
      int last = code;
      while (last < Command.MAX_EXTENSION_CODE && acceptsExtension(last + 1)) {
        last++;
      }
      text.append(text.length() == 0 ? "" : ", ").append(String.format("0x%02X", code));
      if (last > code) {
        text.append("..").append(String.format("0x%02X", last));
      }
      code = last + 1;
    }
    return text.length() == 0 ? "none" : text.toString();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof CodecOptions)) {
      return false;
    }
    CodecOptions that = (CodecOptions) o;
    return maxPayloadBytes == that.maxPayloadBytes
        && byteOrder.equals(that.byteOrder)
        && Arrays.equals(extensions, that.extensions);
  }

  @Override
  public int hashCode() {
    return Objects.hash(maxPayloadBytes, byteOrder, Arrays.hashCode(extensions));
  }

  @Override
  public String toString() {
    StringBuilder accepted = new StringBuilder();
    for (int code = Command.MIN_EXTENSION_CODE; code <= Command.MAX_EXTENSION_CODE; code++) {
      if (acceptsExtension(code)) {
        accepted.append(accepted.length() == 0 ? "" : ",").append(String.format("0x%02X", code));
      }
    }
    return "CodecOptions{maxPayloadBytes=" + maxPayloadBytes + ", byteOrder=" + byteOrder
        + ", extensions=[" + accepted + "]}";
  }

  /** Builds {@link CodecOptions}. Not thread-safe. */
  public static final class Builder {
    private int maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES;
    private ByteOrder byteOrder = ByteOrder.BIG_ENDIAN;
    private long[] extensions = new long[2];

    private Builder() {}

    /**
     * Largest payload accepted, 0..{@link #MAX_MAX_PAYLOAD_BYTES}; default 4 MiB.
     *
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxPayloadBytes(int maxPayloadBytes) {
      if (maxPayloadBytes < 0 || maxPayloadBytes > MAX_MAX_PAYLOAD_BYTES) {
        throw new IllegalArgumentException(
            "maxPayloadBytes " + maxPayloadBytes + " outside 0.." + MAX_MAX_PAYLOAD_BYTES);
      }
      this.maxPayloadBytes = maxPayloadBytes;
      return this;
    }

    /** Byte order of the length field; default big-endian. */
    public Builder byteOrder(ByteOrder byteOrder) {
      this.byteOrder = Objects.requireNonNull(byteOrder, "byteOrder");
      return this;
    }

    /**
     * Accepts the extension command {@code code} (0x80..0xFF).
     *
     * @throws IllegalArgumentException if {@code code} is not an extension command
     */
    public Builder acceptExtension(int code) {
      int bit = Command.extension(code).code() - Command.MIN_EXTENSION_CODE;
      extensions[bit >>> 6] |= 1L << (bit & 63);
      return this;
    }

    /** Accepts every extension command 0x80..0xFF. */
    public Builder acceptAllExtensions() {
      extensions[0] = -1L;
      extensions[1] = -1L;
      return this;
    }

    /** Accepts no extension command (the default). */
    public Builder acceptNoExtensions() {
      extensions[0] = 0;
      extensions[1] = 0;
      return this;
    }

    /** Builds the immutable options. */
    public CodecOptions build() {
      return new CodecOptions(this);
    }
  }
}
