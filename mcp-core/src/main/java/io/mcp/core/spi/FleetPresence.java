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
   * Calls {@code listener}, in order and on a thread of the implementation's choosing, when a node
   * connects to or leaves any replica (leaving includes the expiry of a dead replica's
   * announcements). Best-effort: changes during an outage of the backend may be missed, and {@link
   * #fleet()} stays the truth. The default never calls it (no cross-replica events).
   *
   * @return closing it stops the calls
   */
  default AutoCloseable watchNodes(java.util.function.Consumer<Change> listener) {
    return () -> { };
  }

  /**
   * A node connected to ({@code connected}) or left a replica.
   *
   * @param connected true for an announcement, false for a withdrawal or expiry
   * @param node the node as announced (for an expiry without the announcement at hand: only the
   *     replica and node ids are known, the rest is empty)
   */
  record Change(boolean connected, NodePresence node) {}

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
