package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.codec.CloseCode;
import io.mcp.codec.ErrorCode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

class RequestExceptionTest {

  @Test
  void javaSerialization_keepsTheErrorCodeAndTheNearestCloseCode() throws Exception {
    RequestException original = new RequestException(ErrorCode.OVERLOADED, "too many requests in flight");

    RequestException copy = roundTrip(original);

    assertThat(copy.errorCode()).isSameAs(ErrorCode.OVERLOADED);
    assertThat(copy.closeCode()).isSameAs(CloseCode.OVERLOADED);
    assertThat(copy.getMessage()).isEqualTo("too many requests in flight");
  }

  private static RequestException roundTrip(RequestException e) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(e);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (RequestException) in.readObject();
    }
  }
}
