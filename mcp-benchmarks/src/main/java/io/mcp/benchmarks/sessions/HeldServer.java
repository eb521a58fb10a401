package io.mcp.benchmarks.sessions;

/** A server under test, bound to 127.0.0.1 on an ephemeral port, reporting to a {@link PhaseCounter}. */
interface HeldServer extends AutoCloseable {
  /** Starts the server of {@code kind}. */
  static HeldServer start(ServerKind kind, BenchmarkOptions options, PhaseCounter counter) {
    switch (kind) {
      case BARE:
        return BareNettyServer.start(counter);
      case MCP:
        return McpSessionServer.start(options, counter);
      default:
        throw new AssertionError(kind);
    }
  }

  int port();

  /** Connections open now. */
  int openConnections();

  /** Sessions READY now; for the bare server, connections open now. */
  int readySessions();

  /** Sessions that have measured a heartbeat round trip; -1 where there are no heartbeats. */
  int sessionsWithRtt();

  @Override
  void close();
}
