package io.mcp.core;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The handlers of an endpoint, by message type: blocking ones (run on the handler executor) and
 * non-blocking ones (run on the event loop). A message of a type with no handler is answered with
 * ERROR(UNKNOWN_MESSAGE_TYPE). Immutable once built; thread-safe.
 */
public final class MessageHandlers {
  private static final MessageHandlers NONE = new Builder().build();

  private final Map<String, MessageHandler> blocking;
  private final Map<String, AsyncMessageHandler> nonBlocking;
  private final MessageHandler blockingFallback;

  private MessageHandlers(Builder b) {
    this.blocking = Map.copyOf(b.blocking);
    this.nonBlocking = Map.copyOf(b.nonBlocking);
    this.blockingFallback = b.blockingFallback;
  }

  /** No handlers: every message is answered with UNKNOWN_MESSAGE_TYPE. */
  public static MessageHandlers none() {
    return NONE;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The blocking handler of {@code type}, or the fallback, or {@code null}. */
  public MessageHandler blocking(String type) {
    MessageHandler handler = blocking.get(type);
    return handler != null ? handler : (nonBlocking.containsKey(type) ? null : blockingFallback);
  }

  /** The non-blocking handler of {@code type}, or {@code null}. */
  public AsyncMessageHandler nonBlocking(String type) {
    return nonBlocking.get(type);
  }

  /** Builds {@link MessageHandlers}. Not thread-safe. */
  public static final class Builder {
    private final Map<String, MessageHandler> blocking = new HashMap<>();
    private final Map<String, AsyncMessageHandler> nonBlocking = new HashMap<>();
    private MessageHandler blockingFallback;

    private Builder() {}

    /**
     * Registers a handler that may block for {@code type}.
     *
     * @throws IllegalStateException if {@code type} already has a handler
     */
    public Builder on(String type, MessageHandler handler) {
      checkFree(type);
      blocking.put(type, Objects.requireNonNull(handler, "handler"));
      return this;
    }

    /**
     * Registers a non-blocking handler for {@code type}; it runs on the event loop.
     *
     * @throws IllegalStateException if {@code type} already has a handler
     */
    public Builder onAsync(String type, AsyncMessageHandler handler) {
      checkFree(type);
      nonBlocking.put(type, Objects.requireNonNull(handler, "handler"));
      return this;
    }

    /** Handles every type without its own handler (for example an echo server). */
    public Builder fallback(MessageHandler handler) {
      this.blockingFallback = Objects.requireNonNull(handler, "handler");
      return this;
    }

    private void checkFree(String type) {
      Objects.requireNonNull(type, "type");
      if (type.isEmpty()) {
        throw new IllegalArgumentException("message type must not be empty");
      }
      if (blocking.containsKey(type) || nonBlocking.containsKey(type)) {
        throw new IllegalStateException("message type " + type + " already has a handler");
      }
    }

    public MessageHandlers build() {
      return new MessageHandlers(this);
    }
  }
}
