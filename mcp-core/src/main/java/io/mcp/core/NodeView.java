package io.mcp.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A snapshot of one node as the controller sees it.
 *
 * @param nodeId the node's id from its Hello
 * @param services the services it serves
 * @param metadata its labels and other metadata from the Hello
 * @param transport {@code tcp} or {@code grpc}
 * @param sessionId the current session's id; empty when disconnected
 * @param connected whether a session is open now
 * @param appliedVersions per service, the version it has applied (absent: none)
 * @param rejections per service, the last version it rejected and why
 * @param health the last reported health
 * @param metrics the last reported metrics
 * @param lastSeen when anything was last heard from it
 * @param rtt the last measured round-trip time, if any
 */
public record NodeView(
    String nodeId,
    Set<String> services,
    Map<String, String> metadata,
    String transport,
    String sessionId,
    boolean connected,
    Map<String, Long> appliedVersions,
    Map<String, Rejection> rejections,
    Health health,
    Map<String, Double> metrics,
    Instant lastSeen,
    Optional<Duration> rtt) {

  /** A rejected version and the agent's reason. */
  public record Rejection(long version, String reason) {}

  /** The applied version of {@code service}, 0 if none. */
  public long appliedVersion(String service) {
    return appliedVersions.getOrDefault(service, 0L);
  }

  /** Whether every label in {@code labels} is in this node's metadata with the same value. */
  public boolean matches(Map<String, String> labels) {
    for (Map.Entry<String, String> label : labels.entrySet()) {
      if (!label.getValue().equals(metadata.get(label.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
