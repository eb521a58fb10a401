package io.mcp.store.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.mcp.core.spi.FleetPresence;
import io.mcp.core.spi.NodePresence;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link EtcdConfigStore#watchNodes}: an etcd watch on {@code presence/} (with previous values,
 * so that a deletion, including a lease expiry, names what left), delivered in order on its own
 * thread. Best-effort, as the SPI says: when etcd ends the watch, it starts again from the current
 * revision after a delay of 1 s, and changes in between are not reported.
 */
final class PresenceWatch extends DeliveryThreadWatch {
  private static final Logger log = LoggerFactory.getLogger(PresenceWatch.class);

  private final Consumer<FleetPresence.Change> listener;

  PresenceWatch(EtcdConfigStore store, Consumer<FleetPresence.Change> listener) {
    super(store, "mcp-etcd-presence-watch");
    this.listener = listener;
  }

  /** Caller's thread: watches from the revision now. */
  void start() {
    long revision = store.currentRevision();
    run(() -> startWatcher(revision + 1));
  }

  /** Delivery thread. */
  private void startWatcher(long fromRevision) {
    if (closed) {
      return;
    }
    int mine = ++generation;
    WatchOption option = WatchOption.builder().isPrefix(true).withPrevKV(true)
        .withRevision(fromRevision).build();
    watcher = store.client().getWatchClient().watch(Keys.bytes(store.keys().presencePrefix()), option,
        new Watch.Listener() {
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
            run(() -> restart(mine, error.toString()));
          }

          @Override
          public void onCompleted() {
            run(() -> restart(mine, "completed"));
          }
        });
  }

  /** Delivery thread. */
  private void restart(int ended, String why) {
    if (closed || ended != generation) {
      return;
    }
    generation++;
    if (watcher != null) {
      watcher.close();
      watcher = null;
    }
    log.info("etcd presence watch ended ({}), watching again in 1 s; changes meanwhile are not reported", why);
    try {
      store.scheduler().schedule(() -> run(() -> {
        try {
          startWatcher(store.currentRevision() + 1);
        } catch (RuntimeException e) {
          int current = generation;
          restart(current, e.toString());
        }
      }), 1, TimeUnit.SECONDS);
    } catch (RejectedExecutionException e) {
      // the store is closing
    }
  }

  /** Delivery thread. */
  private void deliver(WatchResponse response) {
    String prefix = store.keys().presencePrefix();
    for (WatchEvent event : response.getEvents()) {
      if (closed) {
        return;
      }
      try {
        String rest = event.getKeyValue().getKey().toString(UTF_8).substring(prefix.length());
        int slash = rest.indexOf('/');
        if (slash < 0) {
          continue;
        }
        String replica = Keys.unescape(rest.substring(0, slash));
        String nodeId = Keys.unescape(rest.substring(slash + 1));
        FleetPresence.Change change;
        if (event.getEventType() == WatchEvent.EventType.PUT) {
          change = new FleetPresence.Change(true,
              Codec.decodePresence(replica, event.getKeyValue().getValue().getBytes(), Map.of()));
        } else if (event.getEventType() == WatchEvent.EventType.DELETE) {
          KeyValue previous = event.getPrevKV();
          NodePresence node = previous != null && !previous.getValue().isEmpty()
              ? Codec.decodePresence(replica, previous.getValue().getBytes(), Map.of())
              : new NodePresence(replica, nodeId, Set.of(), Map.of(), Instant.EPOCH, Map.of());
          change = new FleetPresence.Change(false, node);
        } else {
          continue;
        }
        listener.accept(change);
      } catch (RuntimeException e) {
        log.warn("a presence watcher failed", e);
      }
    }
  }

  @Override
  void closedInStore() {
    store.presenceWatchClosed(this);
  }
}
