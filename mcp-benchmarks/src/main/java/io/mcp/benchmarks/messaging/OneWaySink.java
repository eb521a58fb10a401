package io.mcp.benchmarks.messaging;

/**
 * The connections a {@link OneWayProducer} sends to: MCP sessions or baseline channels. Both sides
 * run the very same producer loop through this interface, so only the send path differs.
 */
interface OneWaySink {
  int connections();

  /** Whether connection {@code index} is below its high water mark. */
  boolean isWritable(int index);

  /**
   * Sends one message on connection {@code index}.
   *
   * @return false if it was refused for overload (nothing was sent)
   */
  boolean send(int index);

  /** A burst on connection {@code index} ended; the baseline flushes here, MCP flushes by itself. */
  void endBurst(int index);
}
