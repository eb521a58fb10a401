package io.mcp.codec;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The payload of a DATA frame: what a message is (kind, correlation id, type, deadline, headers)
 * and its body.
 *
 * <pre>
 * offset  size  field
 *  0      1     kind: 0 ONE_WAY, 1 REQUEST, 2 RESPONSE, 3 ERROR, 4 CANCEL
 *  1      1     flags: 0 (no flag is defined in MCP/1; anything else is refused)
 *  2      8     correlation id, u64 big-endian: 0 for ONE_WAY, never 0 for the others*
 * 10      4     timeout ms, u32 big-endian: REQUEST only (0 = none); 0 for the others
 * 14      1     type length T: 1..255 for ONE_WAY and REQUEST, 0 for the others
 * 15      T     type, UTF-8
 *  .      1     header count H: 0..64
 *  .      H ×   key length K (u8, 1..255), key (K bytes, UTF-8),
 *               value length V (u16 big-endian), value (V bytes, UTF-8)
 *  .      rest  body (may be empty)
 *
 * * an ERROR answering a ONE_WAY message (for example an unknown type) has correlation id 0.
 * </pre>
 *
 * <p>An ERROR's body is a u16 {@link ErrorCode} and a UTF-8 message; a CANCEL has no body. The
 * timeout is the requester's remaining budget when it sent the request, so clocks need not agree.
 *
 * <p>{@link #decode(ByteBuffer)} does not copy the body: it is a slice of the payload. {@link
 * #encodeHead(ByteBuffer)} writes everything but the body, so a transport can put the body next to
 * it without copying. Instances are immutable as long as nobody writes into the body's memory.
 */
public final class Envelope {
  /** What an envelope is. */
  public enum Kind {
    ONE_WAY,
    REQUEST,
    RESPONSE,
    ERROR,
    CANCEL;

    private static final Kind[] VALUES = values();
  }

  /** Fixed part: kind, flags, correlation id, timeout, type length. */
  public static final int FIXED_BYTES = 15;
  public static final int MAX_TYPE_BYTES = 255;
  public static final int MAX_HEADERS = 64;
  public static final int MAX_HEADER_KEY_BYTES = 255;
  public static final int MAX_HEADER_VALUE_BYTES = 0xFFFF;
  public static final long MAX_TIMEOUT_MILLIS = 0xFFFF_FFFFL;

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  private final Kind kind;
  private final long correlationId;
  private final long timeoutMillis;
  private final String type;
  private final Map<String, String> headers;
  private final ByteBuffer body;
  /** Encoded once: the head is written without re-encoding strings. */
  private final byte[] typeBytes;
  private final byte[][] headerBytes;
  private final int headLength;

  private Envelope(Kind kind, long correlationId, long timeoutMillis, String type, Map<String, String> headers,
      ByteBuffer body) {
    this.kind = kind;
    this.correlationId = correlationId;
    this.timeoutMillis = timeoutMillis;
    this.type = type;
    this.headers = headers;
    this.body = body;
    this.typeBytes = type.isEmpty() ? EMPTY_BYTES : type.getBytes(StandardCharsets.UTF_8);
    int length = FIXED_BYTES + typeBytes.length + 1;
    if (headers.isEmpty()) {
      this.headerBytes = NO_HEADERS;
    } else {
      this.headerBytes = new byte[headers.size() * 2][];
      int i = 0;
      for (Map.Entry<String, String> h : headers.entrySet()) {
        headerBytes[i] = h.getKey().getBytes(StandardCharsets.UTF_8);
        headerBytes[i + 1] = h.getValue().getBytes(StandardCharsets.UTF_8);
        length += 1 + headerBytes[i].length + 2 + headerBytes[i + 1].length;
        i += 2;
      }
    }
    this.headLength = length;
  }

  private static final byte[] EMPTY_BYTES = new byte[0];
  private static final byte[][] NO_HEADERS = new byte[0][];

  /**
   * A one-way message of {@code type}. Headers are written in the map's iteration order: pass a
   * {@link LinkedHashMap} when order matters.
   *
   * @throws IllegalArgumentException if a field breaks a limit or a string has an unpaired surrogate
   */
  public static Envelope oneWay(String type, Map<String, String> headers, ByteBuffer body) {
    return checked(Kind.ONE_WAY, 0, 0, type, headers, body);
  }

  /** A request; {@code timeoutMillis} 0 means no deadline. */
  public static Envelope request(long correlationId, String type, long timeoutMillis, Map<String, String> headers,
      ByteBuffer body) {
    return checked(Kind.REQUEST, correlationId, timeoutMillis, type, headers, body);
  }

  /** The response to request {@code correlationId}. */
  public static Envelope response(long correlationId, Map<String, String> headers, ByteBuffer body) {
    return checked(Kind.RESPONSE, correlationId, 0, "", headers, body);
  }

  /** The error answering request {@code correlationId} (0 when answering a one-way message). */
  public static Envelope error(long correlationId, ErrorCode code, String message) {
    Objects.requireNonNull(code, "code");
    byte[] text = truncate(Objects.requireNonNull(message, "message"));
    ByteBuffer body = ByteBuffer.allocate(2 + text.length);
    body.putShort((short) code.value()).put(text).flip();
    return new Envelope(Kind.ERROR, correlationId, 0, "", Map.of(), body);
  }

  /** Cancels request {@code correlationId}. */
  public static Envelope cancel(long correlationId) {
    return checked(Kind.CANCEL, correlationId, 0, "", Map.of(), EMPTY);
  }

  private static Envelope checked(Kind kind, long correlationId, long timeoutMillis, String type,
      Map<String, String> headers, ByteBuffer body) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(headers, "headers");
    Objects.requireNonNull(body, "body");
    boolean typed = kind == Kind.ONE_WAY || kind == Kind.REQUEST;
    requireWellFormed(type, "message type");
    if ((kind == Kind.ONE_WAY) != (correlationId == 0)) {
      throw new IllegalArgumentException(kind + " with correlation id " + Long.toUnsignedString(correlationId));
    }
    if (timeoutMillis < 0 || timeoutMillis > MAX_TIMEOUT_MILLIS || (kind != Kind.REQUEST && timeoutMillis != 0)) {
      throw new IllegalArgumentException("timeout " + timeoutMillis + " ms not allowed for " + kind);
    }
    if (headers.size() > MAX_HEADERS) {
      throw new IllegalArgumentException(headers.size() + " headers exceed max " + MAX_HEADERS);
    }
    for (Map.Entry<String, String> h : headers.entrySet()) {
      requireWellFormed(h.getKey(), "header key");
      requireWellFormed(h.getValue(), "header value");
    }
    // The strings are encoded once, by the constructor; the limits are checked on those bytes.
    Envelope envelope = new Envelope(kind, correlationId, timeoutMillis, type,
        headers.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers)), body.slice());
    int typeBytes = envelope.typeBytes.length;
    if (typed && (typeBytes == 0 || typeBytes > MAX_TYPE_BYTES)) {
      throw new IllegalArgumentException("message type of " + typeBytes + " bytes outside 1.." + MAX_TYPE_BYTES);
    }
    if (!typed && typeBytes != 0) {
      throw new IllegalArgumentException(kind + " carries no type");
    }
    int i = 0;
    for (String key : envelope.headers.keySet()) {
      int k = envelope.headerBytes[i].length;
      int v = envelope.headerBytes[i + 1].length;
      if (k == 0 || k > MAX_HEADER_KEY_BYTES) {
        throw new IllegalArgumentException("header key of " + k + " bytes outside 1.." + MAX_HEADER_KEY_BYTES);
      }
      if (v > MAX_HEADER_VALUE_BYTES) {
        throw new IllegalArgumentException("header " + key + " value of " + v + " bytes exceeds max "
            + MAX_HEADER_VALUE_BYTES);
      }
      i += 2;
    }
    return envelope;
  }

  /**
   * Parses a DATA payload. The body is a slice of {@code payload} (no copy).
   *
   * @throws McpException PROTOCOL_ERROR naming the field that breaks the layout
   */
  public static Envelope decode(ByteBuffer payload) {
    ByteBuffer in = payload.slice();
    if (in.remaining() < FIXED_BYTES) {
      throw malformed("envelope of " + in.remaining() + " bytes is shorter than its " + FIXED_BYTES + "-byte fixed part");
    }
    int kindValue = in.get() & 0xFF;
    if (kindValue >= Kind.VALUES.length) {
      throw malformed("envelope kind " + kindValue + " (expected 0..4)");
    }
    Kind kind = Kind.VALUES[kindValue];
    int flags = in.get() & 0xFF;
    if (flags != 0) {
      throw malformed("envelope flags " + flags + " (expected 0)");
    }
    long correlationId = in.getLong();
    long timeoutMillis = Integer.toUnsignedLong(in.getInt());
    if (kind == Kind.ONE_WAY && correlationId != 0) {
      throw malformed("ONE_WAY envelope with correlation id " + Long.toUnsignedString(correlationId));
    }
    if (kind != Kind.ONE_WAY && kind != Kind.ERROR && correlationId == 0) {
      throw malformed(kind + " envelope with correlation id 0");
    }
    if (kind != Kind.REQUEST && timeoutMillis != 0) {
      throw malformed(kind + " envelope with timeout " + timeoutMillis + " ms");
    }
    int typeLength = in.get() & 0xFF;
    boolean typed = kind == Kind.ONE_WAY || kind == Kind.REQUEST;
    if (typed && typeLength == 0) {
      throw malformed(kind + " envelope without a message type");
    }
    if (!typed && typeLength != 0) {
      throw malformed(kind + " envelope with a message type");
    }
    String type = typeLength == 0 ? "" : utf8(in, typeLength, "message type");
    if (!in.hasRemaining()) {
      throw malformed("envelope ends before its header count");
    }
    int headerCount = in.get() & 0xFF;
    if (headerCount > MAX_HEADERS) {
      throw malformed("envelope header count " + headerCount + " exceeds max " + MAX_HEADERS);
    }
    Map<String, String> headers = Map.of();
    if (headerCount > 0) {
      headers = new LinkedHashMap<>();
      for (int i = 0; i < headerCount; i++) {
        if (!in.hasRemaining()) {
          throw malformed("envelope ends inside header " + i);
        }
        int keyLength = in.get() & 0xFF;
        if (keyLength == 0) {
          throw malformed("envelope header " + i + " has an empty key");
        }
        // Errors name headers by index: keys come from the peer and end up in CLOSE reasons and logs.
        String key = utf8(in, keyLength, "header " + i + " key");
        if (in.remaining() < 2) {
          throw malformed("envelope ends inside header " + i);
        }
        int valueLength = in.getShort() & 0xFFFF;
        String value = utf8(in, valueLength, "header " + i + " value");
        if (headers.put(key, value) != null) {
          throw malformed("envelope header " + i + " repeats an earlier key");
        }
      }
      headers = Collections.unmodifiableMap(headers);
    }
    ByteBuffer body = in.slice();
    if (kind == Kind.ERROR && body.remaining() < 2) {
      throw malformed("ERROR envelope body of " + body.remaining() + " bytes lacks its 2-byte code");
    }
    if (kind == Kind.CANCEL && body.hasRemaining()) {
      throw malformed("CANCEL envelope with a body of " + body.remaining() + " bytes");
    }
    return new Envelope(kind, correlationId, timeoutMillis, type, headers, body);
  }

  private static String utf8(ByteBuffer in, int length, String what) {
    if (in.remaining() < length) {
      throw malformed("envelope ends inside its " + what + " (" + length + " bytes declared, " + in.remaining()
          + " left)");
    }
    int start = in.position();
    in.position(start + length);
    // Most types and header keys are ASCII: no decoder needed for them.
    byte[] bytes = new byte[length];
    in.get(start, bytes);
    boolean ascii = true;
    for (byte b : bytes) {
      if (b < 0) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return new String(bytes, StandardCharsets.ISO_8859_1);
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw malformed("envelope " + what + " is not valid UTF-8");
    }
  }

  /**
   * Refuses strings with unpaired surrogates: UTF-8 encoding would silently replace them, so the
   * peer would read something else (possibly a duplicate header key, which closes the session).
   */
  private static void requireWellFormed(String value, String what) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new IllegalArgumentException(what + " has an unpaired surrogate at index " + i);
      }
    }
  }

  private static McpException malformed(String message) {
    return new McpException(CloseCode.PROTOCOL_ERROR, message);
  }

  private static byte[] truncate(String message) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= Close.MAX_REASON_BYTES) {
      return bytes;
    }
    int end = Close.MAX_REASON_BYTES;
    while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
      end--;
    }
    return java.util.Arrays.copyOf(bytes, end);
  }

  public Kind kind() {
    return kind;
  }

  /** The correlation id, an unsigned 64-bit value. */
  public long correlationId() {
    return correlationId;
  }

  /** The requester's remaining budget in ms when it sent the request; 0 = no deadline. */
  public long timeoutMillis() {
    return timeoutMillis;
  }

  /** The message type; empty for RESPONSE, ERROR and CANCEL. */
  public String type() {
    return type;
  }

  /** The headers, in wire order. Unmodifiable. */
  public Map<String, String> headers() {
    return headers;
  }

  /** A new view of the body; the bytes are shared. */
  public ByteBuffer body() {
    return body.duplicate();
  }

  /** The body's length. */
  public int bodyLength() {
    return body.remaining();
  }

  /** An ERROR's code. */
  public ErrorCode errorCode() {
    requireError();
    return ErrorCode.of(body.getShort(body.position()) & 0xFFFF);
  }

  /** An ERROR's message (malformed UTF-8 replaced). */
  public String errorMessage() {
    requireError();
    return StandardCharsets.UTF_8.decode(body.slice(body.position() + 2, body.remaining() - 2)).toString();
  }

  private void requireError() {
    if (kind != Kind.ERROR) {
      throw new IllegalStateException("not an ERROR envelope: " + kind);
    }
  }

  /** Bytes of everything but the body. */
  public int headLength() {
    return headLength;
  }

  /** Bytes of the whole envelope: head and body. */
  public int encodedLength() {
    return headLength + body.remaining();
  }

  /**
   * Writes everything but the body at {@code dst}'s position.
   *
   * @throws BufferOverflowException if {@code dst} has less room than {@link #headLength()}
   */
  public void encodeHead(ByteBuffer dst) {
    if (dst.remaining() < headLength) {
      throw new BufferOverflowException();
    }
    dst.put((byte) kind.ordinal());
    dst.put((byte) 0);
    putLong(dst, correlationId);
    putInt(dst, (int) timeoutMillis);
    dst.put((byte) typeBytes.length);
    dst.put(typeBytes);
    dst.put((byte) headers.size());
    for (int i = 0; i < headerBytes.length; i += 2) {
      byte[] key = headerBytes[i];
      byte[] value = headerBytes[i + 1];
      dst.put((byte) key.length);
      dst.put(key);
      dst.put((byte) (value.length >>> 8));
      dst.put((byte) value.length);
      dst.put(value);
    }
  }

  /** The whole envelope in a new array. */
  public byte[] encode() {
    byte[] out = new byte[encodedLength()];
    ByteBuffer dst = ByteBuffer.wrap(out);
    encodeHead(dst);
    dst.put(body.duplicate());
    return out;
  }

  private static void putLong(ByteBuffer dst, long v) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      dst.put((byte) (v >>> shift));
    }
  }

  private static void putInt(ByteBuffer dst, int v) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      dst.put((byte) (v >>> shift));
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Envelope)) {
      return false;
    }
    Envelope that = (Envelope) o;
    return kind == that.kind && correlationId == that.correlationId && timeoutMillis == that.timeoutMillis
        && type.equals(that.type) && new java.util.ArrayList<>(headers.entrySet()).equals(
            new java.util.ArrayList<>(that.headers.entrySet())) && body.equals(that.body);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, correlationId, timeoutMillis, type, headers, body);
  }

  @Override
  public String toString() {
    return "Envelope{" + kind + ", id=" + Long.toUnsignedString(correlationId)
        + (type.isEmpty() ? "" : ", type=" + type) + (timeoutMillis == 0 ? "" : ", timeout=" + timeoutMillis + "ms")
        + (headers.isEmpty() ? "" : ", headers=" + headers.keySet()) + ", body=" + body.remaining() + " bytes}";
  }
}
