package io.mcp.benchmarks.messaging;

/** The side measured: MCP sessions, or the plain Netty length-field baseline. */
enum Implementation {
  MCP("mcp"),
  NETTY("netty");

  final String flag;

  Implementation(String flag) {
    this.flag = flag;
  }

  static Implementation of(String flag) {
    for (Implementation i : values()) {
      if (i.flag.equals(flag) || i.name().equals(flag)) {
        return i;
      }
    }
    throw new IllegalArgumentException("unknown implementation " + flag + " (expected mcp, netty)");
  }
}
