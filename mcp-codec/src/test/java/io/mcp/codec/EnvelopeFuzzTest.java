package io.mcp.codec;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Fuzzes {@link Envelope#decode}: for any bytes, in any kind of buffer, only an {@link McpException}
 * with PROTOCOL_ERROR escapes; the input buffer is left as it was; a decoded envelope re-encodes to
 * exactly its bytes, its body is the tail of the input (no copy), and the public factories accept
 * its fields and build an equal envelope.
 *
 * <p>A plain {@code mvn test} replays the seeds in {@code
 * src/test/resources/io/mcp/codec/EnvelopeFuzzTestInputs/<method name>/} (and an empty input);
 * {@code JAZZER_FUZZ=1} fuzzes for real. An input is laid out as
 *
 * <pre>
 * byte 0  buffer  bit 0      direct buffer (else heap)
 *                 bit 1      buffer order little-endian (must not matter)
 *                 bits 2-4   n: the payload starts n bytes into the buffer, and n filler bytes
 *                            follow it (position and limit frame it)
 * byte 1… the payload (the envelope bytes)
 * </pre>
 *
 * A missing buffer byte counts as 0.
 */
class EnvelopeFuzzTest {
  private static final byte FILLER = (byte) 0xA5;
  private static final HexFormat HEX = HexFormat.of();

  @FuzzTest(maxDuration = "30s")
  void decode_anyBytesInAnyBuffer_envelopeThatReencodesExactlyOrProtocolError(byte[] input) {
    int options = input.length > 0 ? input[0] & 0xFF : 0;
    byte[] payload = input.length > 1 ? Arrays.copyOfRange(input, 1, input.length) : new byte[0];
    boolean direct = (options & 1) != 0;
    int filler = (options >>> 2) & 7;
    ByteBuffer buffer = direct
        ? ByteBuffer.allocateDirect(filler + payload.length + filler)
        : ByteBuffer.allocate(filler + payload.length + filler);
    buffer.order((options & 2) != 0 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
    for (int i = 0; i < filler; i++) {
      buffer.put(FILLER);
    }
    buffer.put(payload);
    for (int i = 0; i < filler; i++) {
      buffer.put(FILLER);
    }
    buffer.position(filler).limit(filler + payload.length);

    Envelope e = null;
    try {
      e = Envelope.decode(buffer);
    } catch (McpException x) {
      check(x.closeCode() == CloseCode.PROTOCOL_ERROR, "decode failed with " + x.closeCode());
      check(x.getMessage() != null && !x.getMessage().isEmpty(), "PROTOCOL_ERROR without a reason");
    }
    // Anything but an McpException escapes and is a finding.

    check(buffer.position() == filler && buffer.limit() == filler + payload.length,
        "decode moved the input buffer");
    byte[] after = new byte[buffer.capacity()];
    buffer.duplicate().clear().get(after);
    for (int i = 0; i < filler; i++) {
      check(after[i] == FILLER && after[filler + payload.length + i] == FILLER, "decode wrote outside");
    }
    check(Arrays.equals(after, filler, filler + payload.length, payload, 0, payload.length),
        "decode wrote into the payload");
    if (e != null) {
      checkEnvelope(e, payload, direct);
    }
  }

  private static void checkEnvelope(Envelope e, byte[] payload, boolean direct) {
    byte[] encoded = e.encode();
    check(Arrays.equals(encoded, payload), e + " re-encodes to " + HEX.formatHex(encoded)
        + " but was decoded from " + HEX.formatHex(payload));
    check(e.headLength() + e.bodyLength() == payload.length, "head + body is not the payload");
    ByteBuffer body = e.body();
    check(body.isDirect() == direct, "the body is not a view of the payload");
    check(body.equals(ByteBuffer.wrap(payload, e.headLength(), e.bodyLength())), "the body is not the tail");
    check(e.toString().startsWith("Envelope{" + e.kind()), "toString");

    Envelope rebuilt;
    try {
      rebuilt = switch (e.kind()) {
        case ONE_WAY -> Envelope.oneWay(e.type(), e.headers(), e.body());
        case REQUEST -> Envelope.request(e.correlationId(), e.type(), e.timeoutMillis(), e.headers(), e.body());
        case RESPONSE -> Envelope.response(e.correlationId(), e.headers(), e.body());
        case ERROR -> {
          e.errorCode();
          e.errorMessage();
          yield null; // The factory re-encodes the message; headers and malformed UTF-8 are lost.
        }
        case CANCEL -> e.headers().isEmpty() ? Envelope.cancel(e.correlationId()) : null;
      };
    } catch (IllegalArgumentException x) {
      throw new AssertionError("the factories refuse what decode accepted: " + e, x);
    }
    if (rebuilt != null) {
      check(rebuilt.equals(e) && rebuilt.hashCode() == e.hashCode(), "rebuilt " + rebuilt + " differs");
      check(Arrays.equals(rebuilt.encode(), payload), "rebuilt " + rebuilt + " encodes differently");
    }
  }

  private static void check(boolean condition, String message) {
    if (!condition) {
      throw new AssertionError(message);
    }
  }
}
