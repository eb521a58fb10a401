package io.mcp.store.etcd;

import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.mcp.core.spi.ConfigVersion;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link EtcdConfigStore#watch}: an etcd watch on {@code versions/} plus the newest version
 * delivered per service, so that each version reaches the listener once and in order.
 *
 * <p>All of its state is confined to its own delivery thread: etcd's callbacks only hand work to
 * it. A watch that etcd ends (its revision was compacted, or it failed for good) is resynchronised
 * there: {@code latest/} is read, the versions between what was delivered and the latest are read
 * from the history and delivered, and a new etcd watch starts after the revision read; while etcd is
 * unreachable this is retried with a backoff from 100 ms to 5 s.
 */
final class WatchHandle extends DeliveryThreadWatch {
  private static final Logger log = LoggerFactory.getLogger(WatchHandle.class);
  private static final long MIN_RETRY_MILLIS = 100;
  private static final long MAX_RETRY_MILLIS = 5_000;

  private final Consumer<ConfigVersion> listener;
  /** Delivery thread: the newest version delivered (or existing when the watch began) per service. */
  private final Map<String, Long> delivered = new HashMap<>();
  private long retryMillis = MIN_RETRY_MILLIS;

  WatchHandle(EtcdConfigStore store, Consumer<ConfigVersion> listener) {
    super(store, "mcp-etcd-watch");
    this.listener = listener;
  }

  /** Caller's thread: reads the current versions and starts watching after them. */
  void start() {
    Map.Entry<Long, Map<String, Long>> now = store.latestVersions();
    try {
      delivery.submit(() -> {
        delivered.putAll(now.getValue());
        startWatcher(now.getKey() + 1);
      }).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("the watch could not start", e);
    }
  }

  /** Delivery thread. */
  private void startWatcher(long fromRevision) {
    if (closed) {
      return;
    }
    int mine = ++generation;
    WatchOption option = WatchOption.builder()
        .isPrefix(true)
        .withRevision(fromRevision)
        .withNoDelete(true)
        .build();
    watcher = store.client().getWatchClient().watch(io.etcd.jetcd.ByteSequence.from(
        store.keys().versionsPrefix(), java.nio.charset.StandardCharsets.UTF_8), option, new Watch.Listener() {
          @Override
          public void onNext(WatchResponse response) {
            run(() -> {
              if (mine == generation) {
                deliver(response);
              }
            });
          }

          @Override
          public void onError(Throwable error) {
            run(() -> {
              if (mine == generation) {
                log.info("etcd watch from revision {} ended ({}): resynchronising", fromRevision, error.toString());
                resync();
              }
            });
          }

          @Override
          public void onCompleted() {
            run(() -> {
              if (mine == generation && !closed) {
                log.info("etcd watch completed: resynchronising");
                resync();
              }
            });
          }
        });
  }

  /** Delivery thread. */
  private void deliver(WatchResponse response) {
    for (WatchEvent event : response.getEvents()) {
      if (event.getEventType() != WatchEvent.EventType.PUT) {
        continue;
      }
      ConfigVersion version;
      try {
        version = store.decodeWatched(event.getKeyValue());
      } catch (RuntimeException e) {
        log.warn("skipping an undecodable version in etcd: {}", e.toString());
        continue;
      }
      if (version != null) {
        offer(version);
      }
    }
  }

  /** Delivery thread: calls the listener if {@code version} is newer than what it was given. */
  private void offer(ConfigVersion version) {
    if (closed || version.version() <= delivered.getOrDefault(version.service(), 0L)) {
      return;
    }
    delivered.put(version.service(), version.version());
    try {
      listener.accept(version);
    } catch (RuntimeException e) {
      log.warn("a store watcher failed on {}", version, e);
    }
  }

  /** Delivery thread: closes the etcd watch, delivers what was missed, watches again. */
  private void resync() {
    if (closed) {
      return;
    }
    generation++;
    if (watcher != null) {
      watcher.close();
      watcher = null;
    }
    try {
      Map.Entry<Long, Map<String, Long>> now = store.latestVersions();
      long revision = now.getKey();
      for (Map.Entry<String, Long> latest : now.getValue().entrySet()) {
        long have = delivered.getOrDefault(latest.getKey(), 0L);
        if (latest.getValue() > have) {
          List<ConfigVersion> missed = store.versionsBetween(latest.getKey(), have, latest.getValue(), revision);
          for (ConfigVersion version : missed) {
            offer(version);
          }
          // Versions pruned from the history meanwhile cannot be delivered; what is kept is newer.
          delivered.merge(latest.getKey(), latest.getValue(), Math::max);
        }
      }
      retryMillis = MIN_RETRY_MILLIS;
      startWatcher(revision + 1);
    } catch (RuntimeException e) {
      if (closed) {
        return;
      }
      long delay = retryMillis;
      retryMillis = Math.min(MAX_RETRY_MILLIS, retryMillis * 2);
      log.warn("resynchronising the etcd watch failed, retrying in {} ms: {}", delay, e.getMessage());
      try {
        store.scheduler().schedule(() -> run(this::resync), delay, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException stopped) {
        // the store is closing
      }
    }
  }

  /** Test hook: drops the etcd watch as a lost connection would, delivering nothing until resumed. */
  void pauseForTest() throws Exception {
    delivery.submit(() -> {
      generation++;
      if (watcher != null) {
        watcher.close();
        watcher = null;
      }
    }).get(10, TimeUnit.SECONDS);
  }

  /** Test hook: watches again from {@code revision}, as jetcd resumes a broken watch. */
  void resumeFromForTest(long revision) {
    run(() -> startWatcher(revision));
  }

  @Override
  void closedInStore() {
    store.watchClosed(this);
  }
}
