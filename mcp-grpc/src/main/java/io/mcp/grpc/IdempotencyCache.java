package io.mcp.grpc;

import io.mcp.grpc.proto.ConfigResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Remembers the outcome of mutating calls by request id, so that a retried call (same id) returns
 * the first outcome instead of applying twice. A retry that arrives while the first attempt still
 * runs waits for it. Bounded by count and age; per process (each controller replica has its own).
 * Thread-safe.
 */
final class IdempotencyCache {
  private final int maxEntries;
  private final long ttlMillis;
  private final Clock clock;
  private final Map<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, false);

  private record Entry(String operation, CompletableFuture<ConfigResponse> result, long createdMillis) {}

  IdempotencyCache(int maxEntries, Duration ttl, Clock clock) {
    this.maxEntries = maxEntries;
    this.ttlMillis = ttl.toMillis();
    this.clock = clock;
  }

  /**
   * Runs {@code action} once per {@code requestId} (always when the id is empty).
   *
   * @throws io.grpc.StatusRuntimeException INVALID_ARGUMENT if the id was used for another operation
   */
  CompletableFuture<ConfigResponse> run(String requestId, String operation, Supplier<ConfigResponse> action) {
    if (requestId.isEmpty()) {
      return CompletableFuture.supplyAsync(action, Runnable::run);
    }
    CompletableFuture<ConfigResponse> mine = new CompletableFuture<>();
    Entry existing;
    synchronized (this) {
      long now = clock.millis();
      // Entries are in insertion (= age) order: expire from the eldest and stop at the first one
      // that is young or still running. Amortised O(1) per call, not a scan of the whole cache.
      for (var it = entries.values().iterator(); it.hasNext(); ) {
        Entry eldest = it.next();
        if (now - eldest.createdMillis <= ttlMillis || !eldest.result.isDone()) {
          break;
        }
        it.remove();
      }
      existing = entries.get(requestId);
      if (existing == null) {
        while (entries.size() >= maxEntries) {
          var eldest = entries.keySet().iterator();
          eldest.next();
          eldest.remove();
        }
        entries.put(requestId, new Entry(operation, mine, now));
      }
    }
    if (existing != null) {
      if (!existing.operation.equals(operation)) {
        return CompletableFuture.failedFuture(ControlPlaneService.invalid(
            "request_id was already used for a different request (" + existing.operation + ")"));
      }
      return existing.result.thenApply(r -> r.toBuilder().setReplayed(true).build());
    }
    try {
      mine.complete(action.get());
    } catch (RuntimeException e) {
      synchronized (this) {
        entries.remove(requestId); // a failed attempt may be retried for real
      }
      mine.completeExceptionally(e);
    }
    return mine;
  }
}
