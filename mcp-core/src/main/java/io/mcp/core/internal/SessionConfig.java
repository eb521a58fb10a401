package io.mcp.core.internal;

import io.mcp.codec.CodecOptions;
import io.mcp.core.DataHandler;
import io.mcp.core.SessionListener;
import io.mcp.core.spi.ExtensionRegistry;
import java.time.Duration;
import java.util.List;

/** What both ends of a session need from their options, in the units internals use. */
public final class SessionConfig {
  final CodecOptions codecOptions;
  final int handshakeMaxPayloadBytes;
  final long handshakeTimeoutNanos;
  /** 0 means 3 × the agreed heartbeat interval. */
  final long idleTimeoutNanos;
  final int maxPingsPerInterval;
  final long closeDrainNanos;
  final List<SessionListener> listeners;
  final DataHandler dataHandler;
  final ExtensionRegistry extensions;

  public SessionConfig(
      CodecOptions codecOptions,
      int handshakeMaxPayloadBytes,
      Duration handshakeTimeout,
      Duration idleTimeout,
      int maxPingsPerInterval,
      Duration closeDrain,
      List<SessionListener> listeners,
      DataHandler dataHandler,
      ExtensionRegistry extensions) {
    this.codecOptions = codecOptions;
    this.handshakeMaxPayloadBytes = handshakeMaxPayloadBytes;
    this.handshakeTimeoutNanos = handshakeTimeout.toNanos();
    this.idleTimeoutNanos = idleTimeout == null ? 0 : idleTimeout.toNanos();
    this.maxPingsPerInterval = maxPingsPerInterval;
    this.closeDrainNanos = closeDrain.toNanos();
    this.listeners = listeners;
    this.dataHandler = dataHandler;
    this.extensions = extensions;
  }

  /** The idle timeout for an agreed heartbeat interval. */
  long idleTimeoutNanos(long intervalNanos) {
    return idleTimeoutNanos > 0 ? idleTimeoutNanos : 3 * intervalNanos;
  }
}
