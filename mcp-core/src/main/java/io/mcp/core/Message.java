package io.mcp.core;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A received one-way message or request, as a handler sees it.
 *
 * <p>The body is a view of the received bytes, not a copy: it is valid until the handler returns
 * (or, for an {@link AsyncMessageHandler}, until its stage completes). Copy what you keep longer.
 * Thread-safe.
 */
public interface Message {
  /** The session it came on. */
  Session session();

  /** The message type. */
  String type();

  /** The headers. */
  Map<String, String> headers();

  /** A view of the body. */
  ByteBuffer body();

  /** Whether this is a request (which gets a response) rather than a one-way message. */
  boolean isRequest();

  /** The time left before the request's deadline, if it has one; never negative. */
  Optional<Duration> timeRemaining();

  /** Whether the requester cancelled, the deadline passed, or the session closed: stop working. */
  boolean isCancelled();

  /** Runs {@code action} once when the request is cancelled (at once if it already is). */
  void onCancel(Runnable action);
}
