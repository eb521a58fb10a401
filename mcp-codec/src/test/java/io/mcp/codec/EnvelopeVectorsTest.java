package io.mcp.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs the published vectors in {@code docs/test-vectors/envelopes.txt} both ways: every vector is
 * decoded and compared field by field (or must fail with its close code and reason); every valid
 * one re-encodes to its exact bytes, and the envelope built from its fields with the public
 * factories encodes to them too and equals the decoded one.
 */
class EnvelopeVectorsTest {
  private static final byte FILLER = (byte) 0xA5;

  static Stream<EnvelopeVectors.Vector> vectors() {
    return EnvelopeVectors.load("/test-vectors/envelopes.txt").stream();
  }

  static Stream<EnvelopeVectors.Vector> validVectors() {
    return vectors().filter(EnvelopeVectors.Vector::valid);
  }

  static Stream<EnvelopeVectors.Vector> invalidVectors() {
    return vectors().filter(v -> !v.valid());
  }

  @Test
  void vectorFile_loads_manyValidAndInvalidVectorsOfEveryKind() {
    List<EnvelopeVectors.Vector> all = vectors().toList();

    assertThat(all).hasSizeGreaterThanOrEqualTo(25);
    assertThat(all.stream().map(v -> v.name).distinct()).hasSameSizeAs(all);
    assertThat(validVectors().map(v -> v.kind).collect(Collectors.toSet()))
        .isEqualTo(EnumSet.allOf(Envelope.Kind.class));
    assertThat(invalidVectors().count()).isGreaterThanOrEqualTo(15);
    assertThat(invalidVectors().map(v -> v.error)).containsOnly(CloseCode.PROTOCOL_ERROR);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validVectors")
  void validVector_decodes_toItsFields(EnvelopeVectors.Vector v) {
    Envelope e = Envelope.decode(ByteBuffer.wrap(v.bytes));

    assertFields(v, e);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validVectors")
  void validVector_decodedAndReencoded_givesItsBytes(EnvelopeVectors.Vector v) {
    Envelope e = Envelope.decode(ByteBuffer.wrap(v.bytes));

    assertThat(e.encode()).isEqualTo(v.bytes);
    assertThat(e.encodedLength()).isEqualTo(v.bytes.length);
    ByteBuffer head = ByteBuffer.allocate(e.headLength());
    e.encodeHead(head);
    assertThat(head.hasRemaining()).isFalse();
    assertThat(head.array()).isEqualTo(Arrays.copyOf(v.bytes, e.headLength()));
    assertThat(e.body()).isEqualTo(ByteBuffer.wrap(v.bytes, e.headLength(), e.bodyLength()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validVectors")
  void validVector_builtFromItsFields_encodesToItsBytesAndEqualsTheDecoded(EnvelopeVectors.Vector v) {
    Envelope built = build(v);
    if (built == null) {
      return; // An ERROR or CANCEL with headers, or an ERROR with malformed UTF-8: decode-only.
    }

    assertThat(built.encode()).as(v.name).isEqualTo(v.bytes);
    assertThat(built).isEqualTo(Envelope.decode(ByteBuffer.wrap(v.bytes)));
    assertThat(built.hashCode()).isEqualTo(Envelope.decode(ByteBuffer.wrap(v.bytes)).hashCode());
    assertFields(v, built);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void anyVector_inADirectLittleEndianWindowOfALargerBuffer_decodesTheSame(EnvelopeVectors.Vector v) {
    ByteBuffer direct = ByteBuffer.allocateDirect(v.bytes.length + 6).order(ByteOrder.LITTLE_ENDIAN);
    direct.put(new byte[] {FILLER, FILLER, FILLER}).put(v.bytes).put(new byte[] {FILLER, FILLER, FILLER});
    direct.position(3).limit(3 + v.bytes.length);

    if (v.valid()) {
      Envelope e = Envelope.decode(direct);
      assertFields(v, e);
      assertThat(e.body().isDirect()).isTrue();
      assertThat(e.encode()).isEqualTo(v.bytes);
    } else {
      McpException e = catchThrowableOfType(McpException.class, () -> Envelope.decode(direct));
      assertThat(e).as(v.name).isNotNull();
      assertThat(e.closeCode()).isEqualTo(v.error);
    }
    assertThat(direct.position()).isEqualTo(3);
    assertThat(direct.limit()).isEqualTo(3 + v.bytes.length);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidVectors")
  void invalidVector_decode_failsWithItsCloseCodeAndReason(EnvelopeVectors.Vector v) {
    McpException e =
        catchThrowableOfType(McpException.class, () -> Envelope.decode(ByteBuffer.wrap(v.bytes)));

    assertThat(e).as(v.name + " must be rejected").isNotNull();
    assertThat(e.closeCode()).isEqualTo(v.error);
    assertThat(e.getMessage()).startsWith(v.reason);
  }

  private static void assertFields(EnvelopeVectors.Vector v, Envelope e) {
    assertThat(e.kind()).as(v.name).isEqualTo(v.kind);
    assertThat(e.correlationId()).as(v.name).isEqualTo(v.correlationId);
    assertThat(e.timeoutMillis()).as(v.name).isEqualTo(v.timeoutMillis);
    assertThat(e.type()).as(v.name).isEqualTo(v.type);
    assertThat(e.headers()).as(v.name).containsExactlyEntriesOf(v.headers);
    byte[] body = new byte[e.bodyLength()];
    e.body().get(body);
    assertThat(body).as(v.name).isEqualTo(v.expectedBody());
    if (v.kind == Envelope.Kind.ERROR) {
      assertThat(e.errorCode().value()).as(v.name).isEqualTo(v.code);
      assertThat(e.errorMessage()).as(v.name).isEqualTo(v.message);
    }
  }

  /** The envelope the public factories make of the vector's fields; null if they cannot. */
  private static Envelope build(EnvelopeVectors.Vector v) {
    ByteBuffer body = ByteBuffer.wrap(v.expectedBody());
    return switch (v.kind) {
      case ONE_WAY -> Envelope.oneWay(v.type, v.headers, body);
      case REQUEST -> Envelope.request(v.correlationId, v.type, v.timeoutMillis, v.headers, body);
      case RESPONSE -> Envelope.response(v.correlationId, v.headers, body);
      case ERROR -> v.headers.isEmpty() && v.body == null
          ? Envelope.error(v.correlationId, ErrorCode.of(v.code), v.message)
          : null;
      case CANCEL -> v.headers.isEmpty() ? Envelope.cancel(v.correlationId) : null;
    };
  }

  @Test
  void decodeOnlyVectors_areTheOnesTheFactoriesCannotExpress() {
    Set<String> decodeOnly = validVectors()
        .filter(v -> build(v) == null)
        .map(v -> v.name)
        .collect(Collectors.toSet());

    assertThat(decodeOnly).containsExactlyInAnyOrder(
        "error-malformed-utf8-message-accepted", "error-with-header", "cancel-with-header");
  }
}
