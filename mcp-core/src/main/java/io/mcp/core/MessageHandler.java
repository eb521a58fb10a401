package io.mcp.core;

/**
 * Handles messages of one type; may block. It runs on the handler executor, never on an event loop.
 *
 * <p>For a request, the returned {@link Reply} is the response; throwing {@link RequestException}
 * answers with its code; any other exception answers UNKNOWN (the exception is logged, its message
 * is not sent). For a one-way message the return value is ignored.
 */
@FunctionalInterface
public interface MessageHandler {
  /** Handles one message. */
  Reply handle(Message message) throws Exception;
}
