package io.mcp.benchmarks.messaging;

/** Message bodies: the same bytes on both sides, not all zeros. Stateless. */
final class Payloads {
  private Payloads() {}

  static byte[] body(int bytes) {
    byte[] body = new byte[bytes];
    for (int i = 0; i < bytes; i++) {
      body[i] = (byte) ('a' + i % 26);
    }
    return body;
  }
}
