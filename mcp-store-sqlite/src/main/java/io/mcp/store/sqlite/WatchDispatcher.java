package io.mcp.store.sqlite;

import io.mcp.core.spi.ConfigVersion;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls a store's watchers, on one thread of its own, for every version committed to the file, in
 * commit order ({@code versions.seq}), which is version order per service.
 *
 * <p>Versions appended through this store are handed over after their commit ({@link #appended})
 * and delivered from memory; versions appended by another process are found by polling for a
 * higher {@code seq}, and read from the file. A version another process appended and pruned before
 * the next poll is not delivered (only possible with a tiny history limit).
 *
 * <p>A watcher registered by {@link #add} gets every version committed after it returns and none
 * delivered before it was called. Thread-safe.
 */
final class WatchDispatcher {
  private static final Logger log = LoggerFactory.getLogger(WatchDispatcher.class);
  private static final int CHUNK = 64;

  /** Where committed versions are read from. */
  interface Source {
    /** The highest {@code seq} ever committed, 0 if none. */
    long lastSeq();

    /** Up to {@code limit} committed versions with a higher {@code seq}, ascending, without data. */
    List<Header> after(long seq, int limit);

    /** The version of {@code header} with its data, if not pruned since. */
    Optional<ConfigVersion> load(Header header);
  }

  /** One row of {@code versions} without its data. */
  record Header(long seq, String service, long version, Instant createdAt) {}

  private final String name;
  private final long pollNanos;
  private final Source source;
  private final ConcurrentSkipListMap<Long, ConfigVersion> local = new ConcurrentSkipListMap<>();
  private final ReentrantLock wakeLock = new ReentrantLock();
  private final Condition wake = wakeLock.newCondition();
  private boolean signaled = true; // guarded by wakeLock; the first round looks at once
  private final Object registry = new Object();
  private final List<Watcher> watchers = new ArrayList<>(); // guarded by registry
  private long dispatchedSeq; // guarded by registry
  private Thread thread; // guarded by registry
  private volatile boolean started;
  private volatile boolean running = true;

  WatchDispatcher(String name, Duration pollInterval, Source source) {
    this.name = name;
    this.pollNanos = pollInterval.toNanos();
    this.source = source;
  }

  /** Registers {@code listener}; closing the result stops the calls. */
  AutoCloseable add(Consumer<ConfigVersion> listener) {
    synchronized (registry) {
      long from = Math.max(dispatchedSeq, source.lastSeq());
      Watcher watcher = new Watcher(listener, from);
      watchers.add(watcher);
      if (thread == null) {
        dispatchedSeq = from;
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
        started = true;
      }
      return watcher;
    }
  }

  /** Hands over a version this store committed as {@code seq}. */
  void appended(long seq, ConfigVersion version) {
    if (!started) {
      return; // no watcher yet; the poll finds it if one registered before it committed
    }
    local.put(seq, version);
    wakeLock.lock();
    try {
      signaled = true;
      wake.signal();
    } finally {
      wakeLock.unlock();
    }
  }

  /** Stops the thread (waiting up to {@code timeout} for a running call); no calls after that. */
  void close(Duration timeout) {
    Thread t;
    synchronized (registry) {
      running = false;
      watchers.clear();
      t = thread;
    }
    wakeLock.lock();
    try {
      signaled = true;
      wake.signal();
    } finally {
      wakeLock.unlock();
    }
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join(timeout.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (t.isAlive()) {
        log.warn("{}: a watcher is still running after {}", name, timeout);
      }
    }
  }

  private void run() {
    while (running) {
      wakeLock.lock();
      try {
        if (!signaled) {
          wake.awaitNanos(pollNanos);
        }
        signaled = false;
      } catch (InterruptedException e) {
        if (!running) {
          return;
        }
      } finally {
        wakeLock.unlock();
      }
      if (!running) {
        return;
      }
      try {
        dispatch();
      } catch (RuntimeException e) {
        if (running) {
          log.warn("{}: reading new versions failed, retrying in {} ms", name,
              TimeUnit.NANOSECONDS.toMillis(pollNanos), e);
        }
      }
    }
  }

  private void dispatch() {
    // Versions handed over before the query are committed, so the query sees every lower seq
    // (unless pruned, then they are here): together they are complete up to their highest seq.
    TreeMap<Long, ConfigVersion> mine = new TreeMap<>();
    for (Map.Entry<Long, ConfigVersion> e = local.pollFirstEntry(); e != null; e = local.pollFirstEntry()) {
      mine.put(e.getKey(), e.getValue());
    }
    long from;
    synchronized (registry) {
      if (watchers.isEmpty()) {
        if (!mine.isEmpty()) {
          dispatchedSeq = Math.max(dispatchedSeq, mine.lastKey());
        }
        return;
      }
      from = dispatchedSeq;
    }
    mine.headMap(from, true).clear();
    try {
      while (running) {
        List<Header> headers = source.after(from, CHUNK);
        boolean complete = headers.size() < CHUNK;
        long upTo = complete ? Long.MAX_VALUE : headers.get(headers.size() - 1).seq();
        TreeMap<Long, Object> chunk = new TreeMap<>();
        for (Header header : headers) {
          chunk.put(header.seq(), header);
        }
        NavigableMap<Long, ConfigVersion> handedOver = mine.headMap(upTo, true);
        chunk.putAll(handedOver);
        handedOver.clear();
        for (Map.Entry<Long, Object> e : chunk.entrySet()) {
          Optional<ConfigVersion> version = e.getValue() instanceof ConfigVersion v
              ? Optional.of(v) : source.load((Header) e.getValue());
          if (version.isPresent()) {
            deliver(e.getKey(), version.get());
          }
          from = e.getKey();
        }
        if (complete) {
          return;
        }
      }
    } finally {
      local.putAll(mine); // not delivered (a read failed): next time
    }
  }

  private void deliver(long seq, ConfigVersion version) {
    List<Watcher> targets = new ArrayList<>();
    synchronized (registry) {
      if (seq <= dispatchedSeq) {
        return;
      }
      dispatchedSeq = seq;
      for (Watcher watcher : watchers) {
        if (seq > watcher.fromSeq) {
          targets.add(watcher);
        }
      }
    }
    for (Watcher watcher : targets) {
      if (watcher.closed || !running) {
        continue;
      }
      try {
        watcher.listener.accept(version);
      } catch (RuntimeException e) {
        log.warn("{}: a watcher failed on {}", name, version, e);
      }
    }
  }

  private final class Watcher implements AutoCloseable {
    final Consumer<ConfigVersion> listener;
    final long fromSeq;
    volatile boolean closed;

    Watcher(Consumer<ConfigVersion> listener, long fromSeq) {
      this.listener = listener;
      this.fromSeq = fromSeq;
    }

    @Override
    public void close() {
      synchronized (registry) {
        closed = true;
        watchers.remove(this);
      }
    }
  }
}
