package io.mcp.grpc.gateway;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonScanTest {
  static void check(String json, int depth, int number) {
    JsonScan.check(json.getBytes(StandardCharsets.UTF_8), depth, number);
  }

  @Test
  void depthAtTheLimit_passes_oneMore_refusedNamingTheLimit() {
    assertThatCode(() -> check("{\"a\":[[1]]}", 3, 40)).doesNotThrowAnyException();
    assertThatThrownBy(() -> check("{\"a\":[[[1]]]}", 3, 40))
        .hasMessage("JSON nesting depth exceeds max 3 at byte 7");
  }

  @Test
  void bracketsInsideStrings_doNotCount_escapedQuotesHandled() {
    assertThatCode(() -> check("{\"a\":\"[[[[\\\"[[[[\"}", 1, 40)).doesNotThrowAnyException();
  }

  @Test
  void longNumber_refused_longStringOfDigitsIsFine() {
    assertThatCode(() -> check("{\"n\":-1.5e10,\"s\":\"" + "9".repeat(100) + "\"}", 2, 7)).doesNotThrowAnyException();
    assertThatThrownBy(() -> check("{\"n\":12345678}", 2, 7))
        .hasMessage("JSON number at byte 5 is longer than max 7 characters");
  }
}
