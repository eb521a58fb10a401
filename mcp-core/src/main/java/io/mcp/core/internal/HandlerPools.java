package io.mcp.core.internal;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** The default executor of blocking handlers: fixed threads, a bounded queue (excess is OVERLOADED). */
public final class HandlerPools {
  /** Tasks that may wait for a thread before new ones are refused. */
  public static final int QUEUE_CAPACITY = 65_536;

  private HandlerPools() {}

  public static ExecutorService newPool(String name) {
    int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(QUEUE_CAPACITY), new DefaultThreadFactory(name, true));
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }
}
