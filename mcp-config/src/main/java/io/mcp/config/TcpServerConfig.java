package io.mcp.config;

import io.mcp.core.ServerOptions;
import io.mcp.core.TlsOptions;
import io.mcp.core.spi.Authenticator;
import java.time.Duration;
import java.util.Objects;

/**
 * The MCP/1 TCP server (section {@code server}): where it listens and its session limits. The
 * meaning of each limit is that of the same-named {@link ServerOptions} setting; ranges and
 * defaults are in docs/CONFIGURATION.md. Build with {@link #builder()}; immutable and thread-safe.
 *
 * @param host address to bind
 * @param port port to bind; 0 picks a free one
 * @param serverId the id announced in Welcome, or {@code null} for a random one
 * @param handshakeTimeout accept to Hello, TLS included
 * @param heartbeatInterval interval given to clients that ask for 0
 * @param minHeartbeatInterval lower bound of the agreed interval
 * @param maxHeartbeatInterval upper bound of the agreed interval
 * @param idleTimeout fixed idle timeout, or {@code null} for 3 × the agreed heartbeat interval
 * @param maxPayloadBytes largest frame payload accepted after the handshake
 * @param maxHandshakePayloadBytes largest frame payload accepted before the handshake completes
 * @param maxConnections sessions open at once
 * @param maxPendingHandshakes connections still in their handshake at once
 * @param maxInFlightRequests requests a session executes at once
 * @param maxOutstandingRequests requests a session may wait on at once
 * @param maxQueuedBytes outbound budget per session
 * @param writeBufferLowWaterMark Netty low water mark
 * @param writeBufferHighWaterMark Netty high water mark
 * @param writeDeadline how long a session may stay unwritable before SLOW_CONSUMER
 * @param closeDrainTimeout how long a side that sent CLOSE keeps draining input
 * @param ioThreads event loop threads; 0 for Netty's default (2 × cores)
 */
public record TcpServerConfig(String host, int port, String serverId, Duration handshakeTimeout,
    Duration heartbeatInterval, Duration minHeartbeatInterval, Duration maxHeartbeatInterval,
    Duration idleTimeout, int maxPayloadBytes, int maxHandshakePayloadBytes, int maxConnections,
    int maxPendingHandshakes, int maxInFlightRequests, int maxOutstandingRequests, long maxQueuedBytes,
    int writeBufferLowWaterMark, int writeBufferHighWaterMark, Duration writeDeadline,
    Duration closeDrainTimeout, int ioThreads) {

  /** Checks the references; ranges are checked by {@link McpServerConfig#validate()}. */
  public TcpServerConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
    Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
    Objects.requireNonNull(minHeartbeatInterval, "minHeartbeatInterval");
    Objects.requireNonNull(maxHeartbeatInterval, "maxHeartbeatInterval");
    Objects.requireNonNull(writeDeadline, "writeDeadline");
    Objects.requireNonNull(closeDrainTimeout, "closeDrainTimeout");
  }

  /** A builder with the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.host = host;
    b.port = port;
    b.serverId = serverId;
    b.handshakeTimeout = handshakeTimeout;
    b.heartbeatInterval = heartbeatInterval;
    b.minHeartbeatInterval = minHeartbeatInterval;
    b.maxHeartbeatInterval = maxHeartbeatInterval;
    b.idleTimeout = idleTimeout;
    b.maxPayloadBytes = maxPayloadBytes;
    b.maxHandshakePayloadBytes = maxHandshakePayloadBytes;
    b.maxConnections = maxConnections;
    b.maxPendingHandshakes = maxPendingHandshakes;
    b.maxInFlightRequests = maxInFlightRequests;
    b.maxOutstandingRequests = maxOutstandingRequests;
    b.maxQueuedBytes = maxQueuedBytes;
    b.writeBufferLowWaterMark = writeBufferLowWaterMark;
    b.writeBufferHighWaterMark = writeBufferHighWaterMark;
    b.writeDeadline = writeDeadline;
    b.closeDrainTimeout = closeDrainTimeout;
    b.ioThreads = ioThreads;
    return b;
  }

  /**
   * {@link ServerOptions} with these settings, {@code authenticator} and {@code tls} (may be
   * {@code null}); add listeners, handlers or an event loop group before building.
   */
  public ServerOptions.Builder toServerOptions(Authenticator authenticator, TlsOptions tls) {
    ServerOptions.Builder b = ServerOptions.builder()
        .host(host)
        .port(port)
        .authenticator(authenticator)
        .tls(tls)
        .handshakeTimeout(handshakeTimeout)
        .heartbeatInterval(heartbeatInterval)
        .heartbeatBounds(minHeartbeatInterval, maxHeartbeatInterval)
        .idleTimeout(idleTimeout)
        .maxPayloadBytes(maxPayloadBytes)
        .maxHandshakePayloadBytes(maxHandshakePayloadBytes)
        .maxConnections(maxConnections)
        .maxPendingHandshakes(maxPendingHandshakes)
        .maxInFlightRequests(maxInFlightRequests)
        .maxOutstandingRequests(maxOutstandingRequests)
        .maxQueuedBytes(maxQueuedBytes)
        .writeBufferWaterMarks(writeBufferLowWaterMark, writeBufferHighWaterMark)
        .writeDeadline(writeDeadline)
        .closeDrainTimeout(closeDrainTimeout)
        .ioThreads(ioThreads);
    if (serverId != null) {
      b.serverId(serverId);
    }
    return b;
  }

  /** Builds {@link TcpServerConfig}. Not thread-safe. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = 7400;
    private String serverId;
    private Duration handshakeTimeout = Duration.ofSeconds(10);
    private Duration heartbeatInterval = Duration.ofSeconds(5);
    private Duration minHeartbeatInterval = Duration.ofSeconds(1);
    private Duration maxHeartbeatInterval = Duration.ofSeconds(60);
    private Duration idleTimeout;
    private int maxPayloadBytes = 4 * 1024 * 1024;
    private int maxHandshakePayloadBytes = 64 * 1024;
    private int maxConnections = 10_000;
    private int maxPendingHandshakes = 1_000;
    private int maxInFlightRequests = 1024;
    private int maxOutstandingRequests = 1024;
    private long maxQueuedBytes = 8L * 1024 * 1024;
    private int writeBufferLowWaterMark = 256 * 1024;
    private int writeBufferHighWaterMark = 1024 * 1024;
    private Duration writeDeadline = Duration.ofSeconds(30);
    private Duration closeDrainTimeout = Duration.ofSeconds(2);
    private int ioThreads;

    private Builder() {}

    /** Default 127.0.0.1; 0.0.0.0 serves every interface. */
    public Builder host(String host) { this.host = host; return this; }
    /** Default 7400. */
    public Builder port(int port) { this.port = port; return this; }
    /** Default {@code null}: a random id. */
    public Builder serverId(String serverId) { this.serverId = serverId; return this; }
    /** Default 10 s. */
    public Builder handshakeTimeout(Duration d) { this.handshakeTimeout = d; return this; }
    /** Default 5 s. */
    public Builder heartbeatInterval(Duration d) { this.heartbeatInterval = d; return this; }
    /** Default 1 s. */
    public Builder minHeartbeatInterval(Duration d) { this.minHeartbeatInterval = d; return this; }
    /** Default 60 s. */
    public Builder maxHeartbeatInterval(Duration d) { this.maxHeartbeatInterval = d; return this; }
    /** Default {@code null}: 3 × the agreed heartbeat interval. */
    public Builder idleTimeout(Duration d) { this.idleTimeout = d; return this; }
    /** Default 4 MiB. */
    public Builder maxPayloadBytes(int v) { this.maxPayloadBytes = v; return this; }
    /** Default 64 KiB. */
    public Builder maxHandshakePayloadBytes(int v) { this.maxHandshakePayloadBytes = v; return this; }
    /** Default 10,000. */
    public Builder maxConnections(int v) { this.maxConnections = v; return this; }
    /** Default 1,000. */
    public Builder maxPendingHandshakes(int v) { this.maxPendingHandshakes = v; return this; }
    /** Default 1,024. */
    public Builder maxInFlightRequests(int v) { this.maxInFlightRequests = v; return this; }
    /** Default 1,024. */
    public Builder maxOutstandingRequests(int v) { this.maxOutstandingRequests = v; return this; }
    /** Default 8 MiB. */
    public Builder maxQueuedBytes(long v) { this.maxQueuedBytes = v; return this; }
    /** Default 256 KiB. */
    public Builder writeBufferLowWaterMark(int v) { this.writeBufferLowWaterMark = v; return this; }
    /** Default 1 MiB. */
    public Builder writeBufferHighWaterMark(int v) { this.writeBufferHighWaterMark = v; return this; }
    /** Default 30 s. */
    public Builder writeDeadline(Duration d) { this.writeDeadline = d; return this; }
    /** Default 2 s. */
    public Builder closeDrainTimeout(Duration d) { this.closeDrainTimeout = d; return this; }
    /** Default 0: Netty's default. */
    public Builder ioThreads(int v) { this.ioThreads = v; return this; }

    /** The configuration; ranges are checked by {@link McpServerConfig#validate()}. */
    public TcpServerConfig build() {
      return new TcpServerConfig(host, port, serverId, handshakeTimeout, heartbeatInterval, minHeartbeatInterval,
          maxHeartbeatInterval, idleTimeout, maxPayloadBytes, maxHandshakePayloadBytes, maxConnections,
          maxPendingHandshakes, maxInFlightRequests, maxOutstandingRequests, maxQueuedBytes, writeBufferLowWaterMark,
          writeBufferHighWaterMark, writeDeadline, closeDrainTimeout, ioThreads);
    }
  }
}
