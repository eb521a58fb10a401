package io.mcp.benchmarks.grpc;

import java.util.function.Consumer;

/** One unary call under test, made either asynchronously or blocking. Implementations are thread-safe. */
interface UnaryTarget extends AutoCloseable {
  /** A short label for tables, such as {@code bare echo}. */
  String label();

  /** Starts one call; {@code done} receives null on success or the failure, on a gRPC thread. */
  void startAsync(Consumer<Throwable> done);

  /** Makes one call and returns when it completes; throws on failure. */
  void callBlocking();

  @Override
  void close();
}
