package io.mcp.codec;

import static java.nio.charset.StandardCharsets.UTF_8;
import static net.jqwik.api.Arbitraries.frequencyOf;
import static net.jqwik.api.Tuple.of;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Properties of {@link Envelope}: every valid envelope survives encoding and decoding unchanged and
 * re-encodes to the same bytes; arbitrary bytes (random, or a valid envelope mutated or cut) decode
 * to an envelope that re-encodes to exactly those bytes, or fail with an {@link McpException}
 * carrying PROTOCOL_ERROR, and never with anything else.
 */
class EnvelopePropertiesTest {
  // ---------------------------------------------------------------------------------------------
  // Round trip

  @Property(tries = 1000)
  void validEnvelope_encodedThenDecoded_equalsItAndReencodesToTheSameBytes(
      @ForAll("envelopes") Envelope e) {
    byte[] bytes = e.encode();

    Envelope decoded = Envelope.decode(ByteBuffer.wrap(bytes));

    assertThat(decoded).isEqualTo(e).hasSameHashCodeAs(e);
    assertThat(decoded.headers().keySet()).containsExactlyElementsOf(e.headers().keySet());
    assertThat(decoded.encode()).isEqualTo(bytes);
    assertThat(bytes).hasSize(e.encodedLength()).hasSize(e.headLength() + e.bodyLength());
    if (e.kind() == Envelope.Kind.ERROR) {
      assertThat(decoded.errorCode()).isEqualTo(e.errorCode());
      assertThat(decoded.errorMessage()).isEqualTo(e.errorMessage());
    }
    Statistics.label("kind").collect(e.kind());
    Statistics.label("headers").collect(e.headers().isEmpty() ? "none" : "some");
  }

  @Property(tries = 300)
  void validEnvelope_headThenBody_isTheWholeEncoding(@ForAll("envelopes") Envelope e) {
    ByteBuffer dst = ByteBuffer.allocate(e.encodedLength());

    e.encodeHead(dst);
    dst.put(e.body());

    assertThat(dst.hasRemaining()).isFalse();
    assertThat(dst.array()).isEqualTo(e.encode());
  }

  @Property(tries = 500)
  void validEncoding_cutAnywhere_protocolErrorInsideTheHeadAndAShorterBodyAfterIt(
      @ForAll("envelopes") Envelope e, @ForAll("fractions") double where) {
    byte[] bytes = e.encode();
    int cut = (int) (where * bytes.length);

    Object outcome = decode(Arrays.copyOf(bytes, cut));

    boolean tooShort = cut < e.headLength()
        || (e.kind() == Envelope.Kind.ERROR && cut < e.headLength() + 2);
    if (tooShort) {
      assertThat(outcome).isInstanceOf(McpException.class);
    } else {
      assertThat(outcome).isInstanceOf(Envelope.class);
      assertThat(((Envelope) outcome).bodyLength()).isEqualTo(cut - e.headLength());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Arbitrary bytes

  /** The decoder's contract: an envelope that re-encodes exactly, or PROTOCOL_ERROR; nothing else. */
  @Property(tries = 1000)
  void arbitraryBytes_envelopeThatReencodesExactlyOrProtocolError(@ForAll("anyBytes") byte[] bytes) {
    Object outcome = decode(bytes);

    if (outcome instanceof Envelope e) {
      assertThat(e.encode()).isEqualTo(bytes);
      assertThat(e.encodedLength()).isEqualTo(bytes.length);
      if (e.kind() == Envelope.Kind.ERROR) {
        assertThat(e.errorCode().value()).isBetween(0, 0xFFFF);
        assertThat(e.errorMessage()).isNotNull();
      }
      assertThat(e.toString()).startsWith("Envelope{" + e.kind());
    }
    Statistics.label("outcome")
        .collect(outcome instanceof Envelope ? "envelope" : "PROTOCOL_ERROR")
        .coverage(c -> {
          c.check("envelope").percentage(p -> p >= 10);
          c.check("PROTOCOL_ERROR").percentage(p -> p >= 10);
        });
  }

  /**
   * Decodes, letting only an {@link McpException} through as an outcome (anything else fails the
   * property), and checks the exception and that the input buffer was left alone.
   */
  private static Object decode(byte[] bytes) {
    ByteBuffer payload = ByteBuffer.wrap(bytes);
    try {
      return Envelope.decode(payload);
    } catch (McpException e) {
      assertThat(e.closeCode()).isSameAs(CloseCode.PROTOCOL_ERROR);
      assertThat(e.getMessage()).matches("(?s)(envelope|ONE_WAY|REQUEST|RESPONSE|ERROR|CANCEL) .+");
      return e;
    } finally {
      assertThat(payload.position()).isZero();
      assertThat(payload.limit()).isEqualTo(bytes.length);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Arbitraries

  @Provide
  Arbitrary<Double> fractions() {
    return Arbitraries.doubles().between(0, 1);
  }

  @Provide
  Arbitrary<Envelope> envelopes() {
    return frequencyOf(
        of(2, oneWays()), of(3, requests()), of(2, responses()), of(2, errors()), of(1, cancels()))
        .withoutEdgeCases();
  }

  @Provide
  Arbitrary<byte[]> anyBytes() {
    Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(64);
    Arbitrary<byte[]> mutated = Combinators.combine(envelopes(), mutations().list().ofMinSize(1).ofMaxSize(3))
        .as((e, mutations) -> {
          byte[] bytes = e.encode();
          for (Mutation m : mutations) {
            bytes = m.apply(bytes);
          }
          return bytes;
        });
    Arbitrary<byte[]> valid = envelopes().map(Envelope::encode);
    return frequencyOf(of(2, random), of(6, mutated), of(2, valid)).withoutEdgeCases();
  }

  /** A change to an encoding: set a byte, cut it short, insert a byte, or drop one. */
  record Mutation(int op, int at, int value) {
    byte[] apply(byte[] bytes) {
      if (bytes.length == 0) {
        return new byte[] {(byte) value};
      }
      int i = at % bytes.length;
      switch (op) {
        case 0 -> {
          byte[] out = bytes.clone();
          out[i] = (byte) value;
          return out;
        }
        case 1 -> {
          return Arrays.copyOf(bytes, i);
        }
        case 2 -> {
          byte[] out = new byte[bytes.length + 1];
          System.arraycopy(bytes, 0, out, 0, i);
          out[i] = (byte) value;
          System.arraycopy(bytes, i, out, i + 1, bytes.length - i);
          return out;
        }
        default -> {
          byte[] out = new byte[bytes.length - 1];
          System.arraycopy(bytes, 0, out, 0, i);
          System.arraycopy(bytes, i + 1, out, i, bytes.length - i - 1);
          return out;
        }
      }
    }
  }

  private Arbitrary<Mutation> mutations() {
    // Small values are the interesting ones: kinds, flags, lengths, counts, the 0x80 boundary.
    Arbitrary<Integer> values = frequencyOf(
        of(3, Arbitraries.integers().between(0, 6)),
        of(1, Arbitraries.of(0x40, 0x41, 0x7F, 0x80, 0xC3, 0xFF)),
        of(2, Arbitraries.integers().between(0, 255)));
    // Most fields are in the first 30 bytes.
    Arbitrary<Integer> positions = frequencyOf(
        of(3, Arbitraries.integers().between(0, 30)), of(1, Arbitraries.integers().between(0, 2000)));
    return Combinators.combine(Arbitraries.integers().between(0, 3), positions, values).as(Mutation::new);
  }

  private Arbitrary<Envelope> oneWays() {
    return Combinators.combine(types(), headers(), bodies()).as(Envelope::oneWay);
  }

  private Arbitrary<Envelope> requests() {
    return Combinators.combine(nonZeroIds(), types(), timeouts(), headers(), bodies()).as(Envelope::request);
  }

  private Arbitrary<Envelope> responses() {
    return Combinators.combine(nonZeroIds(), headers(), bodies()).as(Envelope::response);
  }

  private Arbitrary<Envelope> errors() {
    Arbitrary<Long> ids = frequencyOf(of(1, Arbitraries.just(0L)), of(4, nonZeroIds()));
    Arbitrary<ErrorCode> codes = frequencyOf(
        of(3, Arbitraries.of(ErrorCode.CANCELLED, ErrorCode.DEADLINE_EXCEEDED, ErrorCode.OVERLOADED,
            ErrorCode.UNKNOWN_MESSAGE_TYPE, ErrorCode.UNAVAILABLE)),
        of(1, Arbitraries.integers().between(0, 0xFFFF).map(ErrorCode::of)));
    Arbitrary<String> messages = frequencyOf(
        of(6, text(0, 40)), of(1, text(300, 700)), of(1, Arbitraries.just("")));
    return Combinators.combine(ids, codes, messages).as(Envelope::error);
  }

  private Arbitrary<Envelope> cancels() {
    return nonZeroIds().map(Envelope::cancel);
  }

  private Arbitrary<Long> nonZeroIds() {
    return frequencyOf(
        of(3, Arbitraries.longs().between(1, 1000)),
        of(2, Arbitraries.longs().filter(id -> id != 0)),
        of(1, Arbitraries.of(Long.MIN_VALUE, -1L, Long.MAX_VALUE)));
  }

  private Arbitrary<Long> timeouts() {
    return frequencyOf(
        of(2, Arbitraries.just(0L)),
        of(3, Arbitraries.longs().between(1, Envelope.MAX_TIMEOUT_MILLIS)),
        of(1, Arbitraries.of(0x8000_0000L, Envelope.MAX_TIMEOUT_MILLIS)));
  }

  private Arbitrary<String> types() {
    return frequencyOf(
        of(6, Arbitraries.strings().withCharRange('a', 'z').withChars(".-_").ofMinLength(1).ofMaxLength(30)),
        of(2, text(1, 60).filter(s -> !s.isEmpty() && utf8Length(s) <= Envelope.MAX_TYPE_BYTES)),
        of(1, Arbitraries.of("t".repeat(255), "é".repeat(127) + "a", "😀".repeat(63) + "abc")));
  }

  private Arbitrary<Map<String, String>> headers() {
    Arbitrary<String> keys = frequencyOf(
        of(4, Arbitraries.strings().withCharRange('a', 'z').withChars("-").ofMinLength(1).ofMaxLength(20)),
        of(1, text(1, 60).filter(s -> !s.isEmpty() && utf8Length(s) <= Envelope.MAX_HEADER_KEY_BYTES)));
    Arbitrary<String> values = frequencyOf(of(4, text(0, 30)), of(1, Arbitraries.just("")));
    Arbitrary<Integer> sizes = frequencyOf(
        of(3, Arbitraries.just(0)), of(6, Arbitraries.integers().between(1, 5)),
        of(1, Arbitraries.integers().between(6, Envelope.MAX_HEADERS)));
    return sizes.flatMap(size -> Combinators.combine(keys, values).as(Map::entry)
        .list().ofSize(size).uniqueElements(Map.Entry::getKey)
        .map(entries -> {
          Map<String, String> headers = new LinkedHashMap<>();
          entries.forEach(entry -> headers.put(entry.getKey(), entry.getValue()));
          return headers;
        }));
  }

  private Arbitrary<ByteBuffer> bodies() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(200).map(ByteBuffer::wrap);
  }

  /**
   * Text of {@code min..max} code points, mostly ASCII, some from the rest of Unicode; never an
   * unpaired surrogate (which has no UTF-8 encoding).
   */
  private static Arbitrary<String> text(int min, int max) {
    Arbitrary<Integer> codePoints = frequencyOf(
        of(6, Arbitraries.integers().between(0x20, 0x7E)),
        of(2, Arbitraries.integers().between(0, 0xD7FF)),
        of(1, Arbitraries.integers().between(0xE000, 0xFFFF)),
        of(1, Arbitraries.integers().between(0x10000, 0x10FFFF)));
    return codePoints.list().ofMinSize(min).ofMaxSize(max)
        .map(cps -> new String(cps.stream().mapToInt(Integer::intValue).toArray(), 0, cps.size()));
  }

  private static int utf8Length(String s) {
    return s.getBytes(UTF_8).length;
  }
}
