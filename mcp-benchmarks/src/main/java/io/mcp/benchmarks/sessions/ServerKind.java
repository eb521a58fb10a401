package io.mcp.benchmarks.sessions;

import java.util.Locale;

/** The servers the benchmark compares, in the order they run by default. */
enum ServerKind {
  /** A Netty server that accepts TCP connections and holds them with one shared, trivial handler. */
  BARE,
  /** An {@link io.mcp.core.McpServer} with a static-token authenticator and heartbeats. */
  MCP;

  /** The name used on the command line and in result lines. */
  String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  static ServerKind parse(String label) {
    for (ServerKind kind : values()) {
      if (kind.label().equals(label)) {
        return kind;
      }
    }
    throw new IllegalArgumentException("server kind " + label + " (expected bare or mcp)");
  }
}
