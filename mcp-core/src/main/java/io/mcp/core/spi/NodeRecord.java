package io.mcp.core.spi;

import java.util.Objects;

/**
 * What the controller remembers about one node and one service across sessions and restarts: the
 * version it last applied and the last version it rejected, with the reason.
 *
 * @param nodeId the node
 * @param service the service
 * @param appliedVersion the last applied version; 0 if none
 * @param rejectedVersion the last rejected version; 0 if none
 * @param rejectedReason the reason of that rejection; empty if none
 */
public record NodeRecord(String nodeId, String service, long appliedVersion, long rejectedVersion,
    String rejectedReason) {
  public NodeRecord {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(rejectedReason, "rejectedReason");
  }

  /** A node that has applied and rejected nothing. */
  public static NodeRecord empty(String nodeId, String service) {
    return new NodeRecord(nodeId, service, 0, 0, "");
  }
}
