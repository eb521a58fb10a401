package io.mcp.core;

import io.mcp.core.spi.ConfigStore;
import io.mcp.core.spi.ConfigVersion;
import io.mcp.core.spi.NodeRecord;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A {@link ConfigStore} in memory, for tests and for embedding where durability is not needed: it
 * keeps the last {@code historyLimit} versions per service. Thread-safe.
 */
public final class InMemoryConfigStore implements ConfigStore {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(InMemoryConfigStore.class);

  private final int historyLimit;
  private final Clock clock;
  private final Map<String, Deque<ConfigVersion>> versions = new HashMap<>();
  private final Map<String, Long> lastVersion = new HashMap<>();
  private final Map<String, NodeRecord> ledger = new HashMap<>();
  private final List<Consumer<ConfigVersion>> watchers = new CopyOnWriteArrayList<>();
  private final Object deliveryLock = new Object();

  public InMemoryConfigStore() {
    this(100, Clock.systemUTC());
  }

  public InMemoryConfigStore(int historyLimit, Clock clock) {
    if (historyLimit < 1) {
      throw new IllegalArgumentException("historyLimit " + historyLimit + " must be at least 1");
    }
    this.historyLimit = historyLimit;
    this.clock = clock;
  }

  @Override
  public ConfigVersion append(String service, byte[] data) {
    Objects.requireNonNull(data, "data");
    // Held from assigning the version until its watchers ran, so watchers see version order; not
    // the state lock, because watchers may read the store.
    synchronized (deliveryLock) {
      ConfigVersion stored;
      synchronized (this) {
        long next = lastVersion.getOrDefault(service, 0L) + 1;
        stored = ConfigVersion.of(service, next, data, clock.instant());
        lastVersion.put(service, next);
        Deque<ConfigVersion> history = versions.computeIfAbsent(service, s -> new ArrayDeque<>());
        history.addFirst(stored);
        while (history.size() > historyLimit) {
          history.removeLast();
        }
      }
      for (Consumer<ConfigVersion> watcher : watchers) {
        try {
          watcher.accept(stored);
        } catch (RuntimeException e) {
          log.warn("a watcher failed on {}; the version is stored", stored, e);
        }
      }
      return stored;
    }
  }

  @Override
  public synchronized Optional<ConfigVersion> latest(String service) {
    Deque<ConfigVersion> history = versions.get(service);
    return history == null ? Optional.empty() : Optional.of(history.peekFirst());
  }

  @Override
  public synchronized Optional<ConfigVersion> get(String service, long version) {
    Deque<ConfigVersion> history = versions.get(service);
    if (history != null) {
      for (ConfigVersion v : history) {
        if (v.version() == version) {
          return Optional.of(v);
        }
      }
    }
    return Optional.empty();
  }

  @Override
  public synchronized List<ConfigVersion> history(String service, int limit) {
    Deque<ConfigVersion> history = versions.get(service);
    if (history == null) {
      return List.of();
    }
    List<ConfigVersion> out = new ArrayList<>();
    for (ConfigVersion v : history) {
      if (out.size() >= limit) {
        break;
      }
      out.add(v);
    }
    return out;
  }

  @Override
  public synchronized List<String> services() {
    return new ArrayList<>(new TreeSet<>(versions.keySet()));
  }

  @Override
  public synchronized void recordApplied(String nodeId, String service, long version) {
    NodeRecord record = nodeRecord(nodeId, service);
    if (version > record.appliedVersion()) {
      ledger.put(nodeId + '\u0000' + service, new NodeRecord(nodeId, service, version, record.rejectedVersion(),
          record.rejectedReason()));
    }
  }

  @Override
  public synchronized void recordRejected(String nodeId, String service, long version, String reason) {
    NodeRecord record = nodeRecord(nodeId, service);
    if (version >= record.rejectedVersion()) {
      ledger.put(nodeId + '\u0000' + service, new NodeRecord(nodeId, service, record.appliedVersion(), version, reason));
    }
  }

  @Override
  public synchronized NodeRecord nodeRecord(String nodeId, String service) {
    NodeRecord record = ledger.get(nodeId + '\u0000' + service);
    return record != null ? record : NodeRecord.empty(nodeId, service);
  }

  @Override
  public AutoCloseable watch(Consumer<ConfigVersion> listener) {
    watchers.add(listener);
    return () -> watchers.remove(listener);
  }

  @Override
  public void close() {
    watchers.clear();
  }
}
