package io.mcp.codec;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvelopeTest {
  private static final byte FILLER = (byte) 0xA5;

  /** PROTOCOL.md §11: REQUEST 42, 1500 ms, "config.get", tenant: acme, body "payments". */
  private static final byte[] REQUEST = bytes(
      "01 00 000000000000002a 000005dc 0a 636f6e6669672e676574"
          + " 01 06 74656e616e74 0004 61636d65"
          + " 7061796d656e7473");

  private static byte[] bytes(String hex) {
    return HexFormat.of().parseHex(hex.replace(" ", ""));
  }

  private static ByteBuffer text(String s) {
    return ByteBuffer.wrap(s.getBytes(UTF_8));
  }

  private static Map<String, String> headers(String... keysAndValues) {
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      headers.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return headers;
  }

  private static String utf8(ByteBuffer buffer) {
    return UTF_8.decode(buffer).toString();
  }

  // ---------------------------------------------------------------------------------------------
  // Golden bytes, both ways

  @Test
  void request_withTimeoutHeaderAndBody_encodesToGoldenBytes() {
    Envelope e = Envelope.request(42, "config.get", 1500, headers("tenant", "acme"), text("payments"));

    assertThat(e.encode()).isEqualTo(REQUEST);
  }

  @Test
  void request_goldenBytes_decodeToEveryField() {
    Envelope e = Envelope.decode(ByteBuffer.wrap(REQUEST));

    assertThat(e.kind()).isEqualTo(Envelope.Kind.REQUEST);
    assertThat(e.correlationId()).isEqualTo(42);
    assertThat(e.timeoutMillis()).isEqualTo(1500);
    assertThat(e.type()).isEqualTo("config.get");
    assertThat(e.headers()).containsExactly(Map.entry("tenant", "acme"));
    assertThat(utf8(e.body())).isEqualTo("payments");
    assertThat(e).isEqualTo(
        Envelope.request(42, "config.get", 1500, headers("tenant", "acme"), text("payments")));
  }

  @Test
  void response_idAndBody_bothWays() {
    byte[] golden = bytes("02 00 0102030405060708 00000000 00 00 6f6b");
    Envelope e = Envelope.response(0x0102030405060708L, Map.of(), text("ok"));

    assertThat(e.encode()).isEqualTo(golden);
    assertThat(Envelope.decode(ByteBuffer.wrap(golden))).isEqualTo(e);
  }

  @Test
  void error_codeAndMessage_bothWays() {
    byte[] golden =
        bytes("03 00 000000000000002a 00000000 00 00 0004 646561646c696e65206578636565646564");
    Envelope e = Envelope.error(42, ErrorCode.DEADLINE_EXCEEDED, "deadline exceeded");

    assertThat(e.encode()).isEqualTo(golden);
    Envelope decoded = Envelope.decode(ByteBuffer.wrap(golden));
    assertThat(decoded).isEqualTo(e);
    assertThat(decoded.errorCode()).isSameAs(ErrorCode.DEADLINE_EXCEEDED);
    assertThat(decoded.errorMessage()).isEqualTo("deadline exceeded");
  }

  @Test
  void cancel_bothWays() {
    byte[] golden = bytes("04 00 000000000000002a 00000000 00 00");

    assertThat(Envelope.cancel(42).encode()).isEqualTo(golden);
    assertThat(Envelope.decode(ByteBuffer.wrap(golden))).isEqualTo(Envelope.cancel(42));
  }

  @Test
  void oneWay_nonAsciiAndEmptyHeaderValues_bothWays() {
    byte[] golden = bytes("00 00 0000000000000000 00000000 05 6772656574"
        + " 02 04 6c616e67 0009 e697a5e69cace8aa9e 01 65 0000 6869");
    Envelope e = Envelope.oneWay("greet", headers("lang", "日本語", "e", ""), text("hi"));

    assertThat(e.encode()).isEqualTo(golden);
    assertThat(Envelope.decode(ByteBuffer.wrap(golden))).isEqualTo(e);
  }

  @Test
  void request_highBitIdAndMaxTimeout_areUnsignedBothWays() {
    byte[] golden = bytes("01 00 ffffffffffffffff ffffffff 01 78 00");
    Envelope e = Envelope.request(-1L, "x", 0xFFFF_FFFFL, Map.of(), ByteBuffer.allocate(0));

    assertThat(e.encode()).isEqualTo(golden);
    Envelope decoded = Envelope.decode(ByteBuffer.wrap(golden));
    assertThat(decoded.correlationId()).isEqualTo(-1L);
    assertThat(Long.toUnsignedString(decoded.correlationId())).isEqualTo("18446744073709551615");
    assertThat(decoded.timeoutMillis()).isEqualTo(4294967295L);
    assertThat(decoded.toString()).contains("id=18446744073709551615", "timeout=4294967295ms");
  }

  @Test
  void decode_littleEndianPayloadBuffer_readsFieldsBigEndian() {
    ByteBuffer payload = ByteBuffer.wrap(bytes("01 00 0102030405060708 01020304 01 78 00"))
        .order(ByteOrder.LITTLE_ENDIAN);

    Envelope e = Envelope.decode(payload);

    assertThat(e.correlationId()).isEqualTo(0x0102030405060708L);
    assertThat(e.timeoutMillis()).isEqualTo(0x01020304L);
  }

  @Test
  void decode_malformedPayload_protocolErrorNamingTheField() {
    assertThatThrownBy(() -> Envelope.decode(ByteBuffer.wrap(bytes("05 00 0000000000000001 00000000 00 00"))))
        .isInstanceOf(McpException.class)
        .hasMessage("envelope kind 5 (expected 0..4)")
        .extracting(t -> ((McpException) t).closeCode())
        .isEqualTo(CloseCode.PROTOCOL_ERROR);
  }

  // ---------------------------------------------------------------------------------------------
  // Factory validation

  @Test
  void factories_typeOutsideOneTo255Bytes_rejectedCountingUtf8Bytes() {
    ByteBuffer none = ByteBuffer.allocate(0);

    assertThatThrownBy(() -> Envelope.oneWay("", Map.of(), none))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("message type of 0 bytes outside 1..255");
    assertThatThrownBy(() -> Envelope.request(1, "a".repeat(256), 0, Map.of(), none))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("message type of 256 bytes outside 1..255");
    assertThatThrownBy(() -> Envelope.oneWay("é".repeat(128), Map.of(), none))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("message type of 256 bytes outside 1..255");
    assertThat(Envelope.oneWay("é".repeat(127) + "a", Map.of(), none).headLength())
        .isEqualTo(Envelope.FIXED_BYTES + 255 + 1);
  }

  @Test
  void factories_correlationIdZeroForAnsweringKinds_rejected() {
    ByteBuffer none = ByteBuffer.allocate(0);

    assertThatThrownBy(() -> Envelope.request(0, "a", 0, Map.of(), none))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("REQUEST with correlation id 0");
    assertThatThrownBy(() -> Envelope.response(0, Map.of(), none))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("RESPONSE with correlation id 0");
    assertThatThrownBy(() -> Envelope.cancel(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CANCEL with correlation id 0");
    assertThat(Envelope.error(0, ErrorCode.UNKNOWN_MESSAGE_TYPE, "unknown message type t").correlationId())
        .isZero();
  }

  @Test
  void request_timeoutOutsideU32_rejected() {
    ByteBuffer none = ByteBuffer.allocate(0);

    assertThatThrownBy(() -> Envelope.request(1, "a", -1, Map.of(), none))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout -1 ms not allowed for REQUEST");
    assertThatThrownBy(() -> Envelope.request(1, "a", 1L << 32, Map.of(), none))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout 4294967296 ms not allowed for REQUEST");
  }

  @Test
  void factories_headersBeyondLimits_rejected() {
    ByteBuffer none = ByteBuffer.allocate(0);
    Map<String, String> tooMany = new LinkedHashMap<>();
    for (int i = 0; i < 65; i++) {
      tooMany.put("h" + i, "");
    }

    assertThatThrownBy(() -> Envelope.oneWay("t", tooMany, none))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("65 headers exceed max 64");
    assertThatThrownBy(() -> Envelope.response(1, headers("", "v"), none))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("header key of 0 bytes outside 1..255");
    assertThatThrownBy(() -> Envelope.response(1, headers("k".repeat(256), "v"), none))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("header key of 256 bytes outside 1..255");
    assertThatThrownBy(() -> Envelope.response(1, headers("k", "v".repeat(65536)), none))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("header k value of 65536 bytes exceeds max 65535");
  }

  @Test
  void factories_nulls_rejectedNamingTheArgument() {
    ByteBuffer none = ByteBuffer.allocate(0);

    assertThatThrownBy(() -> Envelope.oneWay(null, Map.of(), none)).hasMessage("type");
    assertThatThrownBy(() -> Envelope.oneWay("t", null, none)).hasMessage("headers");
    assertThatThrownBy(() -> Envelope.response(1, Map.of(), null)).hasMessage("body");
    assertThatThrownBy(() -> Envelope.error(1, ErrorCode.INTERNAL, null)).hasMessage("message");
  }

  @Test
  void factories_everyLimitExactly_acceptedAndRoundTrips() {
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 0; i < Envelope.MAX_HEADERS - 1; i++) {
      headers.put(String.format("%03d", i) + "k".repeat(252), "");
    }
    headers.put("v", "v".repeat(Envelope.MAX_HEADER_VALUE_BYTES));
    Envelope e = Envelope.request(-1L, "t".repeat(Envelope.MAX_TYPE_BYTES), Envelope.MAX_TIMEOUT_MILLIS,
        headers, text("body"));

    byte[] encoded = e.encode();

    assertThat(encoded.length).isEqualTo(15 + 255 + 1 + 63 * (1 + 255 + 2) + (1 + 1 + 2 + 65535) + 4);
    assertThat(Envelope.decode(ByteBuffer.wrap(encoded))).isEqualTo(e);
  }

  @Test
  void headers_keepTheCallersIterationOrder_andAreUnmodifiable() {
    Envelope e = Envelope.oneWay("t", headers("zeta", "1", "alpha", "2", "mid", "3"), ByteBuffer.allocate(0));

    assertThat(e.headers().keySet()).containsExactly("zeta", "alpha", "mid");
    assertThat(Envelope.decode(ByteBuffer.wrap(e.encode())).headers().keySet())
        .containsExactly("zeta", "alpha", "mid");
    assertThatThrownBy(() -> e.headers().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void factories_copyTheHeaderMap_laterChangesDoNotShowThrough() {
    Map<String, String> headers = headers("k", "v");
    Envelope e = Envelope.response(1, headers, ByteBuffer.allocate(0));

    headers.put("later", "x");

    assertThat(e.headers()).containsExactly(Map.entry("k", "v"));
  }

  // ---------------------------------------------------------------------------------------------
  // Body: a slice, no copy

  @Test
  void decode_bodyIsASliceOfThePayload_sameArrayNoCopy() {
    byte[] array = new byte[7 + REQUEST.length + 3];
    Arrays.fill(array, FILLER);
    System.arraycopy(REQUEST, 0, array, 7, REQUEST.length);
    ByteBuffer payload = ByteBuffer.wrap(array, 7, REQUEST.length);

    Envelope e = Envelope.decode(payload);

    ByteBuffer body = e.body();
    assertThat(body.hasArray()).isTrue();
    assertThat(body.array()).isSameAs(array);
    assertThat(body.arrayOffset() + body.position()).isEqualTo(7 + e.headLength());
    assertThat(body.remaining()).isEqualTo(8).isEqualTo(e.bodyLength());
    array[7 + e.headLength()] = 'P';
    assertThat(utf8(e.body())).isEqualTo("Payments");
  }

  @Test
  void decode_leavesThePayloadsPositionAndLimit() {
    ByteBuffer payload = ByteBuffer.wrap(REQUEST);

    Envelope.decode(payload);

    assertThat(payload.position()).isZero();
    assertThat(payload.limit()).isEqualTo(REQUEST.length);
  }

  @Test
  void decode_directPayload_bodyIsDirect() {
    ByteBuffer direct = ByteBuffer.allocateDirect(REQUEST.length).put(REQUEST).flip();

    assertThat(Envelope.decode(direct).body().isDirect()).isTrue();
  }

  @Test
  void body_eachCallIsAnIndependentView() {
    Envelope e = Envelope.decode(ByteBuffer.wrap(REQUEST));

    ByteBuffer first = e.body();
    first.get(new byte[5]);

    assertThat(e.body().remaining()).isEqualTo(8);
    assertThat(e.bodyLength()).isEqualTo(8);
  }

  @Test
  void factories_bodyIsTheCallersRemainingBytes_positionChangesLaterDoNotShowThrough() {
    ByteBuffer body = text("xxpayload");
    body.position(2);

    Envelope e = Envelope.oneWay("t", Map.of(), body);
    body.position(body.limit());

    assertThat(utf8(e.body())).isEqualTo("payload");
  }

  // ---------------------------------------------------------------------------------------------
  // ERROR body

  @Test
  void errorCodeAndMessage_ofAnError() {
    Envelope e = Envelope.error(7, ErrorCode.NOT_FOUND, "no service payments");

    assertThat(e.errorCode()).isSameAs(ErrorCode.NOT_FOUND);
    assertThat(e.errorMessage()).isEqualTo("no service payments");
    assertThat(e.type()).isEmpty();
    assertThat(e.headers()).isEmpty();
    assertThat(e.timeoutMillis()).isZero();
    ByteBuffer body = e.body();
    assertThat(body.getShort() & 0xFFFF).isEqualTo(5);
    assertThat(utf8(body)).isEqualTo("no service payments");
  }

  @Test
  void errorCode_applicationAndUnassignedCodes_keepTheirValue() {
    Envelope application = Envelope.decode(ByteBuffer.wrap(bytes("03 00 0000000000000009 00000000 00 00 03e9")));
    Envelope unassigned = Envelope.decode(ByteBuffer.wrap(bytes("03 00 0000000000000009 00000000 00 00 0006")));

    assertThat(application.errorCode()).isEqualTo(ErrorCode.of(1001));
    assertThat(application.errorCode().name()).isEqualTo("APPLICATION_1001");
    assertThat(application.errorMessage()).isEmpty();
    assertThat(unassigned.errorCode().value()).isEqualTo(6);
  }

  @Test
  void errorMessage_malformedUtf8_replacedNotRefused() {
    Envelope e = Envelope.decode(ByteBuffer.wrap(bytes("03 00 0000000000000001 00000000 00 00 0002 61ff62")));

    assertThat(e.errorMessage()).isEqualTo("a\uFFFDb");
  }

  @Test
  void errorCodeAndMessage_ofOtherKinds_illegalState() {
    Envelope response = Envelope.response(1, Map.of(), ByteBuffer.allocate(0));

    assertThatThrownBy(response::errorCode)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("not an ERROR envelope: RESPONSE");
    assertThatThrownBy(() -> Envelope.cancel(1).errorMessage())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("not an ERROR envelope: CANCEL");
  }

  @Test
  void error_longMessage_truncatedTo1024Bytes() {
    Envelope e = Envelope.error(1, ErrorCode.INTERNAL, "x".repeat(2000));

    assertThat(e.errorMessage()).isEqualTo("x".repeat(1024));
    assertThat(e.bodyLength()).isEqualTo(2 + 1024);
  }

  @Test
  void error_messageOfExactly1024Bytes_keptWhole() {
    String message = "é".repeat(512);

    assertThat(Envelope.error(1, ErrorCode.INTERNAL, message).errorMessage()).isEqualTo(message);
  }

  @Test
  void error_longMessage_cutAtACharacterBoundaryNeverInsideOne() {
    // 'a' + 2-, 3- and 4-byte characters placed so that byte 1024 falls inside a character.
    assertThat(Envelope.error(1, ErrorCode.INTERNAL, "a" + "é".repeat(512)).errorMessage())
        .isEqualTo("a" + "é".repeat(511));
    assertThat(Envelope.error(1, ErrorCode.INTERNAL, "ab" + "€".repeat(341)).errorMessage())
        .isEqualTo("ab" + "€".repeat(340));
    assertThat(Envelope.error(1, ErrorCode.INTERNAL, "a" + "😀".repeat(256)).errorMessage())
        .isEqualTo("a" + "😀".repeat(255));
    Envelope cut = Envelope.error(1, ErrorCode.INTERNAL, "a" + "😀".repeat(256));
    assertThat(cut.bodyLength()).isEqualTo(2 + 1021);
    assertThat(Envelope.decode(ByteBuffer.wrap(cut.encode()))).isEqualTo(cut);
  }

  // ---------------------------------------------------------------------------------------------
  // Lengths and encodeHead

  @Test
  void headLengthPlusBody_isTheEncodedLength() {
    for (Envelope e : List.of(
        Envelope.decode(ByteBuffer.wrap(REQUEST)),
        Envelope.oneWay("café", headers("lang", "日本語", "e", ""), text("hi")),
        Envelope.response(1, Map.of(), ByteBuffer.allocate(0)),
        Envelope.error(0, ErrorCode.UNKNOWN_MESSAGE_TYPE, "unknown message type café"),
        Envelope.cancel(3))) {
      assertThat(e.headLength() + e.bodyLength()).as(e.toString()).isEqualTo(e.encodedLength());
      assertThat(e.encode()).as(e.toString()).hasSize(e.encodedLength());
    }
    assertThat(Envelope.decode(ByteBuffer.wrap(REQUEST)).headLength()).isEqualTo(REQUEST.length - 8);
    assertThat(Envelope.cancel(3).encodedLength()).isEqualTo(16);
  }

  @Test
  void encodeHead_writesEverythingButTheBodyAtThePosition() {
    Envelope e = Envelope.decode(ByteBuffer.wrap(REQUEST));
    ByteBuffer dst = ByteBuffer.allocate(3 + e.headLength() + 3).order(ByteOrder.LITTLE_ENDIAN);
    Arrays.fill(dst.array(), FILLER);
    dst.position(3);

    e.encodeHead(dst);

    assertThat(dst.position()).isEqualTo(3 + e.headLength());
    assertThat(Arrays.copyOfRange(dst.array(), 3, 3 + e.headLength()))
        .isEqualTo(Arrays.copyOf(REQUEST, e.headLength()));
    assertThat(Arrays.copyOfRange(dst.array(), 0, 3)).containsOnly(FILLER);
    assertThat(Arrays.copyOfRange(dst.array(), 3 + e.headLength(), dst.capacity())).containsOnly(FILLER);
  }

  @Test
  void encodeHead_oneByteShort_throwsBufferOverflowAndWritesNothing() {
    Envelope e = Envelope.decode(ByteBuffer.wrap(REQUEST));
    byte[] array = new byte[5 + e.headLength() - 1];
    Arrays.fill(array, FILLER);
    ByteBuffer dst = ByteBuffer.wrap(array);
    dst.position(5);

    assertThatThrownBy(() -> e.encodeHead(dst)).isInstanceOf(BufferOverflowException.class);

    assertThat(dst.position()).isEqualTo(5);
    assertThat(array).containsOnly(FILLER);
  }

  @Test
  void encodeHead_emptyBuffer_throwsBufferOverflow() {
    assertThatThrownBy(() -> Envelope.cancel(1).encodeHead(ByteBuffer.allocate(0)))
        .isInstanceOf(BufferOverflowException.class);
  }

  // ---------------------------------------------------------------------------------------------
  // Value semantics

  @Test
  void equalsAndHashCode_compareFieldsAndBodyBytesNotBuffers() {
    Envelope decoded = Envelope.decode(ByteBuffer.wrap(REQUEST));
    Envelope built = Envelope.request(42, "config.get", 1500, headers("tenant", "acme"),
        ByteBuffer.allocateDirect(8).put("payments".getBytes(UTF_8)).flip());

    assertThat(built).isEqualTo(decoded).hasSameHashCodeAs(decoded);
    assertThat(built).isNotEqualTo(
        Envelope.request(43, "config.get", 1500, headers("tenant", "acme"), text("payments")));
    assertThat(built).isNotEqualTo(
        Envelope.request(42, "config.get", 1500, headers("tenant", "acme"), text("payment")));
  }

  @Test
  void toString_namesKindIdTypeTimeoutHeaderKeysAndBodyLength() {
    assertThat(Envelope.decode(ByteBuffer.wrap(REQUEST)).toString())
        .isEqualTo("Envelope{REQUEST, id=42, type=config.get, timeout=1500ms, headers=[tenant], body=8 bytes}");
    assertThat(Envelope.cancel(1).toString()).isEqualTo("Envelope{CANCEL, id=1, body=0 bytes}");
  }

  @Test
  void unpairedSurrogate_refusedBeforeItCanTravelAsSomethingElse() {
    assertThatThrownBy(() -> Envelope.oneWay("a\uD800", java.util.Map.of(), java.nio.ByteBuffer.allocate(0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("message type has an unpaired surrogate at index 1");
    java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
    headers.put("x\uD800", "1");
    assertThatThrownBy(() -> Envelope.response(1, headers, java.nio.ByteBuffer.allocate(0)))
        .hasMessage("header key has an unpaired surrogate at index 1");
    assertThat(Envelope.oneWay("ok \uD83D\uDE00", java.util.Map.of(), java.nio.ByteBuffer.allocate(0)).type())
        .isEqualTo("ok \uD83D\uDE00");
  }

  @Test
  void headerOrder_isPartOfEquality() {
    java.util.Map<String, String> ab = new java.util.LinkedHashMap<>();
    ab.put("a", "1");
    ab.put("b", "2");
    java.util.Map<String, String> ba = new java.util.LinkedHashMap<>();
    ba.put("b", "2");
    ba.put("a", "1");

    assertThat(Envelope.response(1, ab, java.nio.ByteBuffer.allocate(0)))
        .isNotEqualTo(Envelope.response(1, ba, java.nio.ByteBuffer.allocate(0)));
  }
}
