package io.mcp.core.internal;

import io.netty.util.concurrent.Future;
import java.util.concurrent.CompletableFuture;

/** Bridges Netty futures to {@link CompletableFuture}. */
public final class Futures {
  private Futures() {}

  /** A future completed (or failed) when {@code future} is. */
  public static CompletableFuture<Void> toCompletable(Future<?> future) {
    CompletableFuture<Void> result = new CompletableFuture<>();
    future.addListener(f -> {
      if (f.isSuccess()) {
        result.complete(null);
      } else {
        result.completeExceptionally(f.cause());
      }
    });
    return result;
  }
}
