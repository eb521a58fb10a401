package io.mcp.core;

/** A registration of a {@link FleetListener}; closing it stops delivery. Thread-safe. */
public interface Subscription extends AutoCloseable {
  /** Events coalesced away so far because the listener fell behind. */
  long coalescedEvents();

  /** Stops delivery; events queued for this subscription are dropped. Idempotent. */
  @Override
  void close();
}
