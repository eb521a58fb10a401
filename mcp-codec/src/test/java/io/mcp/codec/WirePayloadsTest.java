package io.mcp.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** CLOSE and HEARTBEAT payloads, commands and close codes: golden bytes and the rules. */
class WirePayloadsTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void close_goldenBytes() {
    assertThat(HEX.formatHex(Close.of(CloseCode.GOING_AWAY, "bye").encodePayload()))
        .isEqualTo("0007627965");
    assertThat(HEX.formatHex(Close.of(CloseCode.application(4000), "").encodePayload()))
        .isEqualTo("0fa0");
  }

  @Test
  void close_decodesCodeAndUtf8Reason() {
    Close close = Close.decode(ByteBuffer.wrap(HEX.parseHex("000b" + HEX.formatHex("zu langsam ✓".getBytes(StandardCharsets.UTF_8)))));

    assertThat(close.code()).isSameAs(CloseCode.SLOW_CONSUMER);
    assertThat(close.reason()).isEqualTo("zu langsam ✓");
  }

  @Test
  void close_shorterThanTwoBytes_protocolError() {
    assertThatThrownBy(() -> Close.decode(ByteBuffer.wrap(new byte[] {1})))
        .isInstanceOf(McpException.class)
        .hasMessage("CLOSE payload of 1 bytes is shorter than its 2-byte code");
  }

  @Test
  void close_reservedAndApplicationCodes_understood() {
    assertThat(Close.decode(ByteBuffer.wrap(HEX.parseHex("000c"))).code().name()).isEqualTo("RESERVED_12");
    assertThat(Close.decode(ByteBuffer.wrap(HEX.parseHex("ffff"))).code().isApplication()).isTrue();
  }

  @Test
  void close_longReason_truncatedAtCharacterBoundary() {
    String reason = "é".repeat(600); // 1200 UTF-8 bytes

    Close close = Close.of(CloseCode.NORMAL, reason);

    assertThat(close.reason()).isEqualTo("é".repeat(512));
    assertThat(close.encodePayload()).hasSize(2 + 1024);
  }

  @Test
  void close_loneSurrogateInReason_reasonIsWhatTravels() {
    Close close = Close.of(CloseCode.NORMAL, "x\uD800y");

    assertThat(Close.decode(close.toFrame())).isEqualTo(close);
    assertThat(close.reason()).isEqualTo("x?y");
  }

  @Test
  void close_invalidUtf8Reason_replacedNotRefused() {
    Close close = Close.decode(ByteBuffer.wrap(HEX.parseHex("0001ff41")));

    assertThat(close.code()).isSameAs(CloseCode.PROTOCOL_ERROR);
    assertThat(close.reason()).endsWith("A");
  }

  @Test
  void heartbeat_goldenBytes() {
    assertThat(Heartbeat.bare().encodePayload()).isEmpty();
    assertThat(HEX.formatHex(Heartbeat.ping(0x0102030405060708L).encodePayload()))
        .isEqualTo("000102030405060708");
    assertThat(HEX.formatHex(Heartbeat.pong(-1L).encodePayload())).isEqualTo("01ffffffffffffffff");
  }

  @Test
  void heartbeat_pingAnsweredByPongEchoingTheOpaqueBytes() {
    Heartbeat ping = Heartbeat.decode(ByteBuffer.wrap(HEX.parseHex("00cafebabedeadbeef")));

    assertThat(ping.kind()).isEqualTo(Heartbeat.Kind.PING);
    assertThat(HEX.formatHex(ping.toPong().encodePayload())).isEqualTo("01cafebabedeadbeef");
  }

  @Test
  void heartbeat_badLengthOrFlag_protocolError() {
    assertThatThrownBy(() -> Heartbeat.decode(ByteBuffer.wrap(new byte[3])))
        .hasMessage("HEARTBEAT payload of 3 bytes (expected 0 or 9)");
    assertThatThrownBy(() -> Heartbeat.decode(ByteBuffer.wrap(HEX.parseHex("020000000000000000"))))
        .hasMessage("HEARTBEAT flag 2 (expected 0 ping or 1 pong)");
  }

  @Test
  void command_codesAndRanges() {
    assertThat(Command.of(1)).isSameAs(Command.HANDSHAKE);
    assertThat(Command.of(4)).isSameAs(Command.CLOSE);
    assertThat(Command.of(0x80).isExtension()).isTrue();
    assertThat(Command.of(0xFF)).isSameAs(Command.extension(0xFF));
    assertThatThrownBy(() -> Command.of(5)).hasMessageContaining("command 5 is not defined");
    assertThatThrownBy(() -> Command.extension(4)).isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * Pins every code MCP/1 defines to the list in the design ("CLOSE: payload = u16 code + UTF-8
   * reason. Codes: 0 NORMAL, 1 PROTOCOL_ERROR, 2 FRAME_TOO_LARGE, 3 UNAUTHENTICATED,
   * 4 UNSUPPORTED_VERSION, 5 HANDSHAKE_TIMEOUT, 6 IDLE_TIMEOUT, 7 GOING_AWAY, 8 TOO_MANY_PINGS,
   * 9 OVERLOADED, 10 INTERNAL_ERROR, 11 SLOW_CONSUMER; 1000+ for applications"): value, name,
   * constant, and the two bytes on the wire, both ways.
   */
  @Test
  void closeCode_everyDefinedValue_asTheDesignLists() {
    String[] design = {
      "NORMAL", "PROTOCOL_ERROR", "FRAME_TOO_LARGE", "UNAUTHENTICATED", "UNSUPPORTED_VERSION",
      "HANDSHAKE_TIMEOUT", "IDLE_TIMEOUT", "GOING_AWAY", "TOO_MANY_PINGS", "OVERLOADED",
      "INTERNAL_ERROR", "SLOW_CONSUMER"
    };
    CloseCode[] constants = {
      CloseCode.NORMAL, CloseCode.PROTOCOL_ERROR, CloseCode.FRAME_TOO_LARGE,
      CloseCode.UNAUTHENTICATED, CloseCode.UNSUPPORTED_VERSION, CloseCode.HANDSHAKE_TIMEOUT,
      CloseCode.IDLE_TIMEOUT, CloseCode.GOING_AWAY, CloseCode.TOO_MANY_PINGS, CloseCode.OVERLOADED,
      CloseCode.INTERNAL_ERROR, CloseCode.SLOW_CONSUMER
    };

    for (int value = 0; value <= 11; value++) {
      CloseCode code = constants[value];
      assertThat(code.value()).as(design[value]).isEqualTo(value);
      assertThat(code.name()).as("code %d", value).isEqualTo(design[value]);
      assertThat(CloseCode.of(value)).as("code %d", value).isSameAs(code);
      assertThat(code.isKnown()).as("code %d", value).isTrue();
      assertThat(code.isApplication()).as("code %d", value).isFalse();
      String wire = String.format("%04x", value);
      assertThat(HEX.formatHex(Close.of(code, "").encodePayload())).isEqualTo(wire);
      assertThat(Close.decode(ByteBuffer.wrap(HEX.parseHex(wire))).code()).isSameAs(code);
    }
    assertThat(CloseCode.of(12).isKnown()).isFalse();
    assertThat(CloseCode.of(999).name()).isEqualTo("RESERVED_999");
    assertThat(CloseCode.of(1000).isApplication()).isTrue();
  }

  @Test
  void closeCode_knownValuesAreConstants() {
    for (int value = 0; value <= 11; value++) {
      assertThat(CloseCode.of(value)).isSameAs(CloseCode.of(value));
      assertThat(CloseCode.of(value).isKnown()).isTrue();
    }
    assertThat(CloseCode.of(11)).isSameAs(CloseCode.SLOW_CONSUMER);
    assertThat(CloseCode.application(1000)).isEqualTo(CloseCode.of(1000));
    assertThatThrownBy(() -> CloseCode.application(999)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CloseCode.of(65536)).isInstanceOf(IllegalArgumentException.class);
  }
}
