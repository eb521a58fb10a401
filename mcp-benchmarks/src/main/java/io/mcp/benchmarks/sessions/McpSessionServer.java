package io.mcp.benchmarks.sessions;

import io.mcp.core.McpServer;
import io.mcp.core.ServerOptions;
import io.mcp.core.Session;
import io.mcp.core.SessionClose;
import io.mcp.core.SessionListener;
import io.mcp.core.SessionState;
import io.mcp.core.auth.Authenticators;
import java.time.Duration;
import java.util.Locale;

/**
 * The server under test: an {@link McpServer} on 127.0.0.1 with {@link
 * Authenticators#staticToken(String)}, the benchmark's heartbeat interval, and every other option
 * at its default (its own event loops, 2 × cores; idle timeout 3 × the interval), except that the
 * connection limit is raised to the session count when that exceeds the default 10,000. Thread-safe.
 */
final class McpSessionServer implements HeldServer {
  private final McpServer server;

  private McpSessionServer(BenchmarkOptions options, PhaseCounter counter) {
    this.server = McpServer.create(ServerOptions.builder()
        .host("127.0.0.1")
        .port(0)
        .authenticator(Authenticators.staticToken(BenchmarkOptions.TOKEN))
        .heartbeatInterval(options.heartbeatInterval)
        .maxConnections(Math.max(10_000, options.sessions))
        .addListener(new CountingListener(counter))
        .build()).start();
  }

  static McpSessionServer start(BenchmarkOptions options, PhaseCounter counter) {
    return new McpSessionServer(options, counter);
  }

  @Override
  public int port() {
    return server.port();
  }

  @Override
  public int openConnections() {
    return server.connectionCount();
  }

  @Override
  public int readySessions() {
    int ready = 0;
    for (Session session : server.sessions()) {
      if (session.state() == SessionState.READY) {
        ready++;
      }
    }
    return ready;
  }

  @Override
  public int sessionsWithRtt() {
    int measured = 0;
    for (Session session : server.sessions()) {
      if (session.lastRtt().isPresent()) {
        measured++;
      }
    }
    return measured;
  }

  @Override
  public void close() {
    server.shutdown(Duration.ofSeconds(5)).join();
  }

  /** Accepted = the transport is ready (CONNECTING to HANDSHAKING); then READY and CLOSED. */
  private static final class CountingListener implements SessionListener {
    private final PhaseCounter counter;

    CountingListener(PhaseCounter counter) {
      this.counter = counter;
    }

    @Override
    public void onStateChanged(Session session, SessionState from, SessionState to) {
      if (from == SessionState.CONNECTING && to == SessionState.HANDSHAKING) {
        counter.onAccepted();
      }
    }

    @Override
    public void onReady(Session session) {
      counter.onReady();
    }

    @Override
    public void onClosed(Session session, SessionClose close) {
      counter.onClosed(close.initiator().name().toLowerCase(Locale.ROOT) + " " + close.code());
    }
  }
}
