package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** A bounded wait for tests, shared through mcp-core's test jar. */
public final class Await {
  private Await() {}

  /** Polls {@code condition} every 5 ms until it holds; fails naming {@code what} if it does not within {@code wait}. */
  public static void until(String what, Duration wait, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(condition.getAsBoolean()).as(what + " within " + wait).isTrue();
  }
}
