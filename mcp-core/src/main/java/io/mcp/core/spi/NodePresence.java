package io.mcp.core.spi;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * That one node is connected to one controller replica, as shared through a {@link FleetPresence}.
 *
 * @param replicaId the replica holding the node's session
 * @param nodeId the node
 * @param services the services it serves
 * @param metadata the metadata of its Hello
 * @param connectedAt when its session became ready
 * @param appliedVersions per service, the version the shared ledger says it applied (may be empty
 *     when announced; {@link FleetPresence#fleet()} fills it where the store knows it)
 */
public record NodePresence(String replicaId, String nodeId, Set<String> services, Map<String, String> metadata,
    Instant connectedAt, Map<String, Long> appliedVersions) {
  public NodePresence {
    Objects.requireNonNull(replicaId, "replicaId");
    Objects.requireNonNull(nodeId, "nodeId");
    services = Set.copyOf(services);
    metadata = Map.copyOf(metadata);
    Objects.requireNonNull(connectedAt, "connectedAt");
    appliedVersions = Map.copyOf(appliedVersions);
  }
}
