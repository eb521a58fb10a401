package io.mcp.core;

import java.time.Instant;
import java.util.Objects;

/**
 * Something that happened in the fleet. {@link Type#LAGGED} is not about a node: it tells a slow
 * subscriber that events were coalesced (only the newest per node was kept) because it fell behind.
 *
 * @param type what happened
 * @param node the node after the event (for LAGGED: null)
 * @param service the service concerned; empty if none
 * @param version the configuration version concerned; 0 if none
 * @param detail a rejection reason, a close reason, or the count of coalesced events; may be empty
 * @param time when the controller saw it
 */
public record FleetEvent(Type type, NodeView node, String service, long version, String detail, Instant time) {
  /** What happened. */
  public enum Type {
    CONNECTED,
    APPLIED,
    REJECTED,
    /** Reported health changed (to anything); {@link #UNHEALTHY} is sent in addition when it became unhealthy. */
    HEALTH_CHANGED,
    UNHEALTHY,
    DISCONNECTED,
    LAGGED
  }

  public FleetEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(detail, "detail");
    Objects.requireNonNull(time, "time");
  }

  /** The node id, or empty for LAGGED. */
  public String nodeId() {
    return node == null ? "" : node.nodeId();
  }
}
