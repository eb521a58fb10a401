package io.mcp.benchmarks.messaging;

/** What one measurement drives. */
enum Scenario {
  /** One-way messages from a producer thread, counted by the server. */
  ONE_WAY("one-way"),
  /** Request/response, one outstanding request, next one sent from the completion callback. */
  LATENCY("latency"),
  /** Request/response with a fixed number of requests in flight on one connection. */
  IN_FLIGHT("in-flight");

  final String flag;

  Scenario(String flag) {
    this.flag = flag;
  }

  static Scenario of(String flag) {
    for (Scenario s : values()) {
      if (s.flag.equals(flag) || s.name().equals(flag)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown scenario " + flag + " (expected one-way, latency, in-flight)");
  }
}
