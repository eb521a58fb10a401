package io.mcp.core.internal;

import java.util.concurrent.atomic.AtomicInteger;

/** Counts a server's connections and pending handshakes against their limits. Thread-safe. */
public final class ServerGate {
  private final int maxConnections;
  private final int maxPendingHandshakes;
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger pendingHandshakes = new AtomicInteger();

  public ServerGate(int maxConnections, int maxPendingHandshakes) {
    this.maxConnections = maxConnections;
    this.maxPendingHandshakes = maxPendingHandshakes;
  }

  /** Counts a connection; returns its number, which may exceed the limit (the caller refuses it). */
  int openConnection() {
    return connections.incrementAndGet();
  }

  void closeConnection() {
    connections.decrementAndGet();
  }

  int startHandshake() {
    return pendingHandshakes.incrementAndGet();
  }

  void endHandshake() {
    pendingHandshakes.decrementAndGet();
  }

  int maxConnections() {
    return maxConnections;
  }

  int maxPendingHandshakes() {
    return maxPendingHandshakes;
  }

  public int connections() {
    return connections.get();
  }

  public int pendingHandshakes() {
    return pendingHandshakes.get();
  }
}
