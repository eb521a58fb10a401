package io.mcp.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

class McpExceptionTest {
  @Test
  void javaSerialization_keepsTheCloseCodeMessageAndCause() throws Exception {
    McpException e = new McpException(
        CloseCode.FRAME_TOO_LARGE, "declared length 5000000 exceeds max 4194304",
        new IllegalStateException("cause"));

    McpException back = (McpException) roundTrip(e);

    assertThat(back.closeCode()).isSameAs(CloseCode.FRAME_TOO_LARGE);
    assertThat(back.getMessage()).isEqualTo(e.getMessage());
    assertThat(back.getCause()).hasMessage("cause");
    assertThat(back).hasToString(e.toString());
  }

  @Test
  void javaSerialization_applicationAndReservedCodes_equalByValue() throws Exception {
    for (CloseCode code : new CloseCode[] {CloseCode.application(4000), CloseCode.of(12)}) {
      McpException back = (McpException) roundTrip(new McpException(code, "m"));

      assertThat(back.closeCode()).isEqualTo(code);
      assertThat(back.closeCode().name()).isEqualTo(code.name());
    }
  }

  @Test
  void javaSerialization_everyKnownCode_resolvesToItsConstant() throws Exception {
    for (int value = 0; value <= 11; value++) {
      assertThat(roundTrip(CloseCode.of(value))).isSameAs(CloseCode.of(value));
    }
  }

  @Test
  void javaSerialization_errorCodes_knownOnesResolveToTheirConstants() throws Exception {
    assertThat(roundTrip(ErrorCode.DEADLINE_EXCEEDED)).isSameAs(ErrorCode.DEADLINE_EXCEEDED);
    assertThat(roundTrip(ErrorCode.of(4000))).isEqualTo(ErrorCode.of(4000));
  }

  @Test
  void toString_namesTheCodeAndTheMessage() {
    assertThat(new McpException(CloseCode.GOING_AWAY, "bye"))
        .hasToString("io.mcp.codec.McpException: GOING_AWAY(7): bye");
  }

  private static Object roundTrip(Object o) throws IOException, ClassNotFoundException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return in.readObject();
    }
  }
}
