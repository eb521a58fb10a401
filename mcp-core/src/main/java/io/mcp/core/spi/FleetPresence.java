package io.mcp.core.spi;

import java.util.List;

/**
 * Optional: shares which nodes are connected to which controller replica, so that every replica
 * shows the whole fleet and can shed load it holds beyond its share. A {@link ConfigStore} for
 * several replicas implements it too (the etcd store does, with leases that expire when a replica
 * dies); a controller uses the store's when it has one and otherwise knows only its own nodes.
 *
 * <p>The controller calls {@link #replicaStarted}, then {@link #nodeConnected} and {@link
 * #nodeDisconnected} in the order sessions come and go (from one thread, off the network threads),
 * and {@link #replicaStopped} last. Announcements are best-effort: a failure is logged by the
 * caller and the implementation re-announces what it holds once its backend is back.
 *
 * <p>Implementations must be thread-safe.
 */
public interface FleetPresence {
  /** This replica's id, unique among the replicas sharing the backend. */
  String replicaId();

  /** Announces this replica (live until {@link #replicaStopped} or until it dies). */
  void replicaStarted();

  /** Announces that {@code node} is now connected to this replica. */
  void nodeConnected(NodePresence node);

  /** Withdraws the announcement of {@code nodeId} on this replica. */
  void nodeDisconnected(String nodeId);

  /** Withdraws this replica and every node it announced. */
  void replicaStopped();

  /**
   * The fleet now: every live replica (this one included once started) and every node announced by
   * any of them.
   *
   * @throws StoreException if the backend cannot be read
   */
  Fleet fleet();

  /**
   * A snapshot of the fleet.
   *
   * @param replicaIds the live replicas, sorted
   * @param nodes the connected nodes, sorted by node id (a node reconnecting may briefly appear
   *     under two replicas)
   */
  record Fleet(List<String> replicaIds, List<NodePresence> nodes) {
    public Fleet {
      replicaIds = List.copyOf(replicaIds);
      nodes = List.copyOf(nodes);
    }
  }
}
