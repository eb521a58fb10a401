package io.mcp.core;

import java.util.concurrent.CompletionStage;

/**
 * Handles messages of one type without blocking: it runs on the session's event loop and returns
 * at once with a stage that completes later. Declare a handler non-blocking this way only if it
 * never blocks; otherwise use {@link MessageHandler}.
 *
 * <p>For a request the stage's value is the response; a stage failed with {@link RequestException}
 * answers with its code, any other failure with UNKNOWN.
 */
@FunctionalInterface
public interface AsyncMessageHandler {
  /** Handles one message. */
  CompletionStage<Reply> handle(Message message);
}
