package io.mcp.core.spi;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where a controller keeps configuration durably: versions per service, a bounded history, and a
 * ledger of what each node applied and rejected.
 *
 * <p>Contract of every implementation:
 *
 * <ul>
 *   <li>{@link #append} assigns the next version of the service and returns only after the version
 *       is durable (committed); version numbers are monotonic per service and never reused, even
 *       after old versions are pruned or the store is reopened.
 *   <li>Concurrent appends (threads, or controller replicas sharing the store) never get the same
 *       version.
 *   <li>The node ledger never regresses: {@link #recordApplied} with an older version than the one
 *       recorded is ignored.
 *   <li>{@link #watch} delivers every version appended after the call, by this process or another,
 *       in version order per service.
 * </ul>
 *
 * <p>Failures are thrown as {@link StoreException}. Implementations must be thread-safe. Built-ins:
 * {@link io.mcp.core.InMemoryConfigStore} (tests), {@code mcp-store-sqlite} (the embedded default),
 * {@code mcp-store-etcd} (several controller replicas).
 */
public interface ConfigStore extends AutoCloseable {
  /**
   * Stores {@code data} as the next version of {@code service}; returns once it is durable.
   *
   * @throws StoreException if the store cannot commit (nothing was stored)
   */
  ConfigVersion append(String service, byte[] data);

  /** The newest version of {@code service}. */
  Optional<ConfigVersion> latest(String service);

  /** Version {@code version} of {@code service}, if it is still kept. */
  Optional<ConfigVersion> get(String service, long version);

  /** Up to {@code limit} versions of {@code service}, newest first; empty when {@code limit <= 0}. */
  List<ConfigVersion> history(String service, int limit);

  /** Every service that has at least one version, sorted. */
  List<String> services();

  /** Records that {@code nodeId} applied {@code version} of {@code service}; never regresses. */
  void recordApplied(String nodeId, String service, long version);

  /** Records that {@code nodeId} rejected {@code version} of {@code service}; an older rejection than the one kept is ignored. */
  void recordRejected(String nodeId, String service, long version, String reason);

  /** What the ledger holds for {@code nodeId} and {@code service}. */
  NodeRecord nodeRecord(String nodeId, String service);

  /**
   * What the ledger holds for each of {@code nodeIds} and {@code service}, keyed by node id. The
   * default reads them one by one; a remote store should read them in one round trip (the etcd
   * store pipelines them).
   */
  default java.util.Map<String, NodeRecord> nodeRecords(java.util.Collection<String> nodeIds, String service) {
    java.util.Map<String, NodeRecord> records = new java.util.LinkedHashMap<>();
    for (String nodeId : nodeIds) {
      records.put(nodeId, nodeRecord(nodeId, service));
    }
    return records;
  }

  /**
   * Calls {@code listener} for every version appended from now on (here or by another process
   * sharing the store), in version order per service, on a thread of the store's choosing. A
   * listener that throws is logged; the append and the other listeners are unaffected. After the
   * handle is closed, a call already running on another thread may still finish.
   *
   * @return closing it stops the calls
   */
  AutoCloseable watch(Consumer<ConfigVersion> listener);

  /** Releases the store's resources. */
  @Override
  void close();
}
