package io.mcp.core.internal;

import io.mcp.codec.CodecOptions;
import io.mcp.core.MessageHandlers;
import io.mcp.core.SessionListener;
import io.mcp.core.spi.ExtensionRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;

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
  final ExtensionRegistry extensions;
  final MessageHandlers handlers;
  final Executor handlerExecutor;
  final int maxInFlightRequests;
  final int maxOutstandingRequests;
  final long maxQueuedBytes;
  final long writeDeadlineNanos;
  /** Header rules; stateless, so shared by every session of this config. */
  final io.mcp.codec.FrameDecoder readyRules;
  final io.mcp.codec.FrameDecoder handshakeRules;
  /** Set once by the owning server or client before its first session. */
  io.mcp.core.Telemetry telemetry = io.mcp.core.Telemetry.NOOP;

  public SessionConfig(
      CodecOptions codecOptions,
      int handshakeMaxPayloadBytes,
      Duration handshakeTimeout,
      Duration idleTimeout,
      int maxPingsPerInterval,
      Duration closeDrain,
      List<SessionListener> listeners,
      ExtensionRegistry extensions,
      MessageHandlers handlers,
      Executor handlerExecutor,
      int maxInFlightRequests,
      int maxOutstandingRequests,
      long maxQueuedBytes,
      Duration writeDeadline) {
    this.codecOptions = codecOptions;
    this.handshakeMaxPayloadBytes = handshakeMaxPayloadBytes;
    this.handshakeTimeoutNanos = handshakeTimeout.toNanos();
    this.idleTimeoutNanos = idleTimeout == null ? 0 : idleTimeout.toNanos();
    this.maxPingsPerInterval = maxPingsPerInterval;
    this.closeDrainNanos = closeDrain.toNanos();
    this.listeners = listeners;
    this.extensions = extensions;
    this.handlers = handlers;
    this.handlerExecutor = handlerExecutor;
    this.maxInFlightRequests = maxInFlightRequests;
    this.maxOutstandingRequests = maxOutstandingRequests;
    this.maxQueuedBytes = maxQueuedBytes;
    this.writeDeadlineNanos = writeDeadline.toNanos();
    this.readyRules = io.mcp.codec.FrameDecoder.create(codecOptions);
    this.handshakeRules = io.mcp.codec.FrameDecoder.create(codecOptions.toBuilder()
        .maxPayloadBytes(Math.min(handshakeMaxPayloadBytes, codecOptions.maxPayloadBytes()))
        .acceptNoExtensions()
        .build());
  }

  /** Sets the hooks every session of this config reports to; returns this. */
  public SessionConfig telemetry(io.mcp.core.Telemetry telemetry) {
    this.telemetry = java.util.Objects.requireNonNull(telemetry, "telemetry");
    return this;
  }

  /** The largest payload a READY session accepts and sends. */
  public int maxPayloadBytes() {
    return codecOptions.maxPayloadBytes();
  }

  /** The idle timeout for an agreed heartbeat interval. */
  long idleTimeoutNanos(long intervalNanos) {
    return idleTimeoutNanos > 0 ? idleTimeoutNanos : 3 * intervalNanos;
  }
}
