package io.mcp.store.etcd;

import io.etcd.jetcd.Watch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * What the store's two watches share: one daemon delivery thread that owns the etcd watcher and
 * runs every callback in order, and closing both.
 */
abstract class DeliveryThreadWatch implements AutoCloseable {
  final EtcdConfigStore store;
  final ExecutorService delivery;
  /** Delivery thread. */
  Watch.Watcher watcher;
  /** Delivery thread: incremented on each new etcd watch, so that callbacks of a replaced one are ignored. */
  int generation;
  volatile boolean closed;

  DeliveryThreadWatch(EtcdConfigStore store, String threadName) {
    this.store = store;
    this.delivery = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
  }

  /** Runs {@code task} on the delivery thread; nothing once closed. */
  final void run(Runnable task) {
    try {
      delivery.execute(task);
    } catch (RejectedExecutionException e) {
      // closed
    }
  }

  /** Tells the store that this watch is closed. */
  abstract void closedInStore();

  @Override
  public final void close() {
    if (closed) {
      return;
    }
    closed = true;
    run(() -> {
      if (watcher != null) {
        watcher.close();
        watcher = null;
      }
    });
    delivery.shutdown();
    closedInStore();
  }
}
