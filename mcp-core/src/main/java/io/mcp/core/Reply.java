package io.mcp.core;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The answer to a request: a body and headers. A handler returns one; a requester receives one.
 *
 * <p>A reply handed to a requester owns a private copy of the received body. Immutable as long as
 * nobody writes into the body's memory; thread-safe.
 */
public final class Reply {
  private static final Reply EMPTY = new Reply(Map.of(), ByteBuffer.allocate(0));

  private final Map<String, String> headers;
  private final ByteBuffer body;

  private Reply(Map<String, String> headers, ByteBuffer body) {
    this.headers = headers;
    this.body = body;
  }

  /** A reply with {@code body}'s remaining bytes (shared, not copied) and no headers. */
  public static Reply of(ByteBuffer body) {
    return new Reply(Map.of(), Objects.requireNonNull(body, "body").slice());
  }

  /** A reply with {@code body} (shared, not copied) and no headers. */
  public static Reply of(byte[] body) {
    return new Reply(Map.of(), ByteBuffer.wrap(body));
  }

  /** A reply with headers (their order kept) and a body. */
  public static Reply of(Map<String, String> headers, ByteBuffer body) {
    return new Reply(headers.isEmpty() ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(headers)),
        Objects.requireNonNull(body, "body").slice());
  }

  /** An empty reply. */
  public static Reply empty() {
    return EMPTY;
  }

  /** The headers. */
  public Map<String, String> headers() {
    return headers;
  }

  /** A new view of the body. */
  public ByteBuffer body() {
    return body.duplicate();
  }

  /** The body copied into a new array. */
  public byte[] bodyBytes() {
    byte[] bytes = new byte[body.remaining()];
    body.duplicate().get(bytes);
    return bytes;
  }

  @Override
  public String toString() {
    return "Reply{" + body.remaining() + " bytes" + (headers.isEmpty() ? "" : ", headers=" + headers.keySet()) + "}";
  }
}
