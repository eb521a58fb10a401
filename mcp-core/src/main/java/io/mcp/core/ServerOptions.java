package io.mcp.core;

import io.mcp.codec.CodecOptions;
import io.mcp.core.internal.Checks;
import io.mcp.core.spi.Authenticator;
import io.mcp.core.spi.ExtensionCommandProvider;
import io.netty.channel.EventLoopGroup;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Settings of an {@link McpServer}. Immutable; build with {@link #builder()}, change with {@link
 * #toBuilder()}.
 *
 * <table>
 *   <caption>Limits and their defaults</caption>
 *   <tr><th>setting</th><th>default</th></tr>
 *   <tr><td>host / port</td><td>0.0.0.0 / 0 (an ephemeral port; see {@link McpServer#port()})</td></tr>
 *   <tr><td>maxPayloadBytes</td><td>4 MiB</td></tr>
 *   <tr><td>maxHandshakePayloadBytes (before READY)</td><td>64 KiB</td></tr>
 *   <tr><td>handshakeTimeout (accept to Hello, TLS included)</td><td>10 s</td></tr>
 *   <tr><td>heartbeatInterval (when the client asks for 0)</td><td>5 s, clamped to [1 s, 60 s]</td></tr>
 *   <tr><td>idleTimeout</td><td>3 × the agreed heartbeat interval</td></tr>
 *   <tr><td>maxPingsPerInterval</td><td>10</td></tr>
 *   <tr><td>maxConnections</td><td>10,000</td></tr>
 *   <tr><td>maxPendingHandshakes</td><td>1,000</td></tr>
 *   <tr><td>closeDrainTimeout</td><td>2 s</td></tr>
 *   <tr><td>maxInFlightRequests / maxOutstandingRequests (per session)</td><td>1,024 / 1,024</td></tr>
 *   <tr><td>maxQueuedBytes (outbound budget per session)</td><td>8 MiB</td></tr>
 *   <tr><td>write-buffer water marks</td><td>256 KiB / 1 MiB</td></tr>
 *   <tr><td>writeDeadline (unwritable this long: SLOW_CONSUMER)</td><td>30 s</td></tr>
 * </table>
 *
 * <p>An authenticator must be chosen; {@link io.mcp.core.auth.Authenticators#allowAll()} accepts
 * everyone and makes the server log a warning. Thread-safe.
 */
public final class ServerOptions {
  private final String host;
  private final int port;
  private final String serverId;
  private final ByteOrder byteOrder;
  private final int maxPayloadBytes;
  private final int maxHandshakePayloadBytes;
  private final Duration handshakeTimeout;
  private final Duration heartbeatInterval;
  private final Duration minHeartbeatInterval;
  private final Duration maxHeartbeatInterval;
  private final Duration idleTimeout;
  private final int maxPingsPerInterval;
  private final int maxConnections;
  private final int maxPendingHandshakes;
  private final Duration closeDrainTimeout;
  private final Authenticator authenticator;
  private final TlsOptions tls;
  private final EventLoopGroup eventLoopGroup;
  private final int ioThreads;
  private final List<SessionListener> listeners;
  private final MessageHandlers handlers;
  private final Executor handlerExecutor;
  private final Telemetry telemetry;
  private final int maxInFlightRequests;
  private final int maxOutstandingRequests;
  private final long maxQueuedBytes;
  private final int writeBufferLowWaterMark;
  private final int writeBufferHighWaterMark;
  private final Duration writeDeadline;
  private final List<ExtensionCommandProvider> extensionProviders;
  private final boolean loadExtensionProviders;

  private ServerOptions(Builder b) {
    host = b.host;
    port = b.port;
    serverId = b.serverId != null ? b.serverId : "mcp-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
    byteOrder = b.byteOrder;
    maxPayloadBytes = b.maxPayloadBytes;
    maxHandshakePayloadBytes = b.maxHandshakePayloadBytes;
    handshakeTimeout = b.handshakeTimeout;
    heartbeatInterval = b.heartbeatInterval;
    minHeartbeatInterval = b.minHeartbeatInterval;
    maxHeartbeatInterval = b.maxHeartbeatInterval;
    idleTimeout = b.idleTimeout;
    maxPingsPerInterval = b.maxPingsPerInterval;
    maxConnections = b.maxConnections;
    maxPendingHandshakes = b.maxPendingHandshakes;
    closeDrainTimeout = b.closeDrainTimeout;
    authenticator = b.authenticator;
    tls = b.tls;
    eventLoopGroup = b.eventLoopGroup;
    ioThreads = b.ioThreads;
    listeners = List.copyOf(b.listeners);
    handlers = b.handlers;
    handlerExecutor = b.handlerExecutor;
    telemetry = b.telemetry;
    maxInFlightRequests = b.maxInFlightRequests;
    maxOutstandingRequests = b.maxOutstandingRequests;
    maxQueuedBytes = b.maxQueuedBytes;
    writeBufferLowWaterMark = b.writeBufferLowWaterMark;
    writeBufferHighWaterMark = b.writeBufferHighWaterMark;
    writeDeadline = b.writeDeadline;
    extensionProviders = List.copyOf(b.extensionProviders);
    loadExtensionProviders = b.loadExtensionProviders;
  }

  /** A builder with the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these options. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.host = host;
    b.port = port;
    b.serverId = serverId;
    b.byteOrder = byteOrder;
    b.maxPayloadBytes = maxPayloadBytes;
    b.maxHandshakePayloadBytes = maxHandshakePayloadBytes;
    b.handshakeTimeout = handshakeTimeout;
    b.heartbeatInterval = heartbeatInterval;
    b.minHeartbeatInterval = minHeartbeatInterval;
    b.maxHeartbeatInterval = maxHeartbeatInterval;
    b.idleTimeout = idleTimeout;
    b.maxPingsPerInterval = maxPingsPerInterval;
    b.maxConnections = maxConnections;
    b.maxPendingHandshakes = maxPendingHandshakes;
    b.closeDrainTimeout = closeDrainTimeout;
    b.authenticator = authenticator;
    b.tls = tls;
    b.eventLoopGroup = eventLoopGroup;
    b.ioThreads = ioThreads;
    b.listeners.addAll(listeners);
    b.handlers = handlers;
    b.handlerExecutor = handlerExecutor;
    b.telemetry = telemetry;
    b.maxInFlightRequests = maxInFlightRequests;
    b.maxOutstandingRequests = maxOutstandingRequests;
    b.maxQueuedBytes = maxQueuedBytes;
    b.writeBufferLowWaterMark = writeBufferLowWaterMark;
    b.writeBufferHighWaterMark = writeBufferHighWaterMark;
    b.writeDeadline = writeDeadline;
    b.extensionProviders.addAll(extensionProviders);
    b.loadExtensionProviders = loadExtensionProviders;
    return b;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  /** The id sent in every Welcome. Default {@code mcp-} and 16 random hex digits. */
  public String serverId() {
    return serverId;
  }

  public ByteOrder byteOrder() {
    return byteOrder;
  }

  public int maxPayloadBytes() {
    return maxPayloadBytes;
  }

  public int maxHandshakePayloadBytes() {
    return maxHandshakePayloadBytes;
  }

  public Duration handshakeTimeout() {
    return handshakeTimeout;
  }

  public Duration heartbeatInterval() {
    return heartbeatInterval;
  }

  public Duration minHeartbeatInterval() {
    return minHeartbeatInterval;
  }

  public Duration maxHeartbeatInterval() {
    return maxHeartbeatInterval;
  }

  /** The idle timeout, or {@code null} for 3 × the agreed heartbeat interval. */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  public int maxPingsPerInterval() {
    return maxPingsPerInterval;
  }

  public int maxConnections() {
    return maxConnections;
  }

  public int maxPendingHandshakes() {
    return maxPendingHandshakes;
  }

  public Duration closeDrainTimeout() {
    return closeDrainTimeout;
  }

  public Authenticator authenticator() {
    return authenticator;
  }

  /** TLS settings, or {@code null} for plaintext. */
  public TlsOptions tls() {
    return tls;
  }

  /** The event loop group to share, or {@code null} for the server's own. */
  public EventLoopGroup eventLoopGroup() {
    return eventLoopGroup;
  }

  /** Threads of the server's own event loop group; 0 = Netty's default (2 × cores). */
  public int ioThreads() {
    return ioThreads;
  }

  public List<SessionListener> listeners() {
    return listeners;
  }

  /** The message handlers, by type. */
  public MessageHandlers handlers() {
    return handlers;
  }

  /** The executor of blocking handlers, or {@code null} for an owned pool. */
  public Executor handlerExecutor() {
    return handlerExecutor;
  }

  /** The metrics and tracing hooks; {@link Telemetry#NOOP} by default. */
  public Telemetry telemetry() {
    return telemetry;
  }

  /** Requests a session executes at once; more are answered OVERLOADED. */
  public int maxInFlightRequests() {
    return maxInFlightRequests;
  }

  /** Requests a session may wait on at once; more fail locally with OVERLOADED. */
  public int maxOutstandingRequests() {
    return maxOutstandingRequests;
  }

  /** Outbound budget per session: bytes queued for the socket; sends beyond fail with OVERLOADED. */
  public long maxQueuedBytes() {
    return maxQueuedBytes;
  }

  public int writeBufferLowWaterMark() {
    return writeBufferLowWaterMark;
  }

  public int writeBufferHighWaterMark() {
    return writeBufferHighWaterMark;
  }

  /** How long a session may stay unwritable before it is closed with SLOW_CONSUMER. */
  public Duration writeDeadline() {
    return writeDeadline;
  }

  public List<ExtensionCommandProvider> extensionProviders() {
    return extensionProviders;
  }

  public boolean loadExtensionProviders() {
    return loadExtensionProviders;
  }

  /** Codec options for READY sessions. */
  CodecOptions codecOptions() {
    return CodecOptions.builder().byteOrder(byteOrder).maxPayloadBytes(maxPayloadBytes).build();
  }

  /** The agreed interval for a client that asks for {@code wantedMillis} (0 = default). */
  public Duration negotiateHeartbeat(long wantedMillis) {
    Duration wanted = wantedMillis == 0 ? heartbeatInterval : Duration.ofMillis(wantedMillis);
    if (wanted.compareTo(minHeartbeatInterval) < 0) {
      return minHeartbeatInterval;
    }
    if (wanted.compareTo(maxHeartbeatInterval) > 0) {
      return maxHeartbeatInterval;
    }
    return wanted;
  }

  /** Builds {@link ServerOptions}. Not thread-safe. */
  public static final class Builder {
    private static final long MAX_HEARTBEAT_MILLIS = 0xFFFF_FFFFL;

    private String host = "0.0.0.0";
    private int port;
    private String serverId;
    private ByteOrder byteOrder = ByteOrder.BIG_ENDIAN;
    private int maxPayloadBytes = CodecOptions.DEFAULT_MAX_PAYLOAD_BYTES;
    private int maxHandshakePayloadBytes = 64 * 1024;
    private Duration handshakeTimeout = Duration.ofSeconds(10);
    private Duration heartbeatInterval = Duration.ofSeconds(5);
    private Duration minHeartbeatInterval = Duration.ofSeconds(1);
    private Duration maxHeartbeatInterval = Duration.ofSeconds(60);
    private Duration idleTimeout;
    private int maxPingsPerInterval = 10;
    private int maxConnections = 10_000;
    private int maxPendingHandshakes = 1_000;
    private Duration closeDrainTimeout = Duration.ofSeconds(2);
    private Authenticator authenticator;
    private TlsOptions tls;
    private EventLoopGroup eventLoopGroup;
    private int ioThreads;
    private final List<SessionListener> listeners = new ArrayList<>();
    private MessageHandlers handlers = MessageHandlers.none();
    private Executor handlerExecutor;
    private Telemetry telemetry = Telemetry.NOOP;
    private int maxInFlightRequests = 1024;
    private int maxOutstandingRequests = 1024;
    private long maxQueuedBytes = 8L * 1024 * 1024;
    private int writeBufferLowWaterMark = 256 * 1024;
    private int writeBufferHighWaterMark = 1024 * 1024;
    private Duration writeDeadline = Duration.ofSeconds(30);
    private final List<ExtensionCommandProvider> extensionProviders = new ArrayList<>();
    private boolean loadExtensionProviders = true;

    private Builder() {}

    /** Address to bind; default 0.0.0.0 (all interfaces). */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** Port to bind, 0..65535; 0 picks a free port. */
    public Builder port(int port) {
      this.port = Checks.range("port", port, 0, 65535);
      return this;
    }

    public Builder serverId(String serverId) {
      this.serverId = Objects.requireNonNull(serverId, "serverId");
      return this;
    }

    /** Byte order of the frame length field; both peers must agree. Default big-endian. */
    public Builder byteOrder(ByteOrder byteOrder) {
      this.byteOrder = Objects.requireNonNull(byteOrder, "byteOrder");
      return this;
    }

    public Builder maxPayloadBytes(int maxPayloadBytes) {
      this.maxPayloadBytes = Checks.range("maxPayloadBytes", maxPayloadBytes, 0, CodecOptions.MAX_MAX_PAYLOAD_BYTES);
      return this;
    }

    /** Largest frame accepted before the handshake completes; default 64 KiB. */
    public Builder maxHandshakePayloadBytes(int maxHandshakePayloadBytes) {
      this.maxHandshakePayloadBytes =
          Checks.range("maxHandshakePayloadBytes", maxHandshakePayloadBytes, 0, CodecOptions.MAX_MAX_PAYLOAD_BYTES);
      return this;
    }

    public Builder handshakeTimeout(Duration handshakeTimeout) {
      this.handshakeTimeout = Checks.positive("handshakeTimeout", handshakeTimeout);
      return this;
    }

    /** Interval given to clients that ask for 0; default 5 s. */
    public Builder heartbeatInterval(Duration heartbeatInterval) {
      this.heartbeatInterval = Checks.positive("heartbeatInterval", heartbeatInterval);
      return this;
    }

    /**
     * Bounds the agreed interval is clamped to; default [1 s, 60 s]. The agreed interval travels in
     * {@code Welcome.heartbeat_interval_ms}, a u32 that a client refuses when it is 0 (PROTOCOL.md
     * §6.5), so the bounds must lie within [1 ms, 4,294,967,295 ms].
     */
    public Builder heartbeatBounds(Duration min, Duration max) {
      Checks.positive("minHeartbeatInterval", min);
      Checks.positive("maxHeartbeatInterval", max);
      if (min.compareTo(Duration.ofMillis(1)) < 0) {
        throw new IllegalArgumentException(
            "minHeartbeatInterval " + min + " is below 1 ms (the agreed interval is sent in whole ms, never 0)");
      }
      if (max.compareTo(Duration.ofMillis(MAX_HEARTBEAT_MILLIS)) > 0) {
        // Duration.toMillis() overflows beyond about 292 million years: fall back to ISO-8601.
        String value = max.getSeconds() < Long.MAX_VALUE / 1000 ? max.toMillis() + " ms" : max.toString();
        throw new IllegalArgumentException("maxHeartbeatInterval " + value + " exceeds "
            + MAX_HEARTBEAT_MILLIS + " ms (a u32 in the Welcome)");
      }
      if (min.compareTo(max) > 0) {
        throw new IllegalArgumentException(
            "minHeartbeatInterval " + min.toMillis() + " ms exceeds maxHeartbeatInterval " + max.toMillis() + " ms");
      }
      this.minHeartbeatInterval = min;
      this.maxHeartbeatInterval = max;
      return this;
    }

    /** Fixed idle timeout; default (null) is 3 × the agreed heartbeat interval. */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = idleTimeout == null ? null : Checks.positive("idleTimeout", idleTimeout);
      return this;
    }

    public Builder maxPingsPerInterval(int maxPingsPerInterval) {
      this.maxPingsPerInterval = Checks.range("maxPingsPerInterval", maxPingsPerInterval, 1, Integer.MAX_VALUE);
      return this;
    }

    public Builder maxConnections(int maxConnections) {
      this.maxConnections = Checks.range("maxConnections", maxConnections, 1, Integer.MAX_VALUE);
      return this;
    }

    public Builder maxPendingHandshakes(int maxPendingHandshakes) {
      this.maxPendingHandshakes = Checks.range("maxPendingHandshakes", maxPendingHandshakes, 1, Integer.MAX_VALUE);
      return this;
    }

    /** How long a side that sent CLOSE keeps draining input before it closes; default 2 s. */
    public Builder closeDrainTimeout(Duration closeDrainTimeout) {
      this.closeDrainTimeout = Checks.positive("closeDrainTimeout", closeDrainTimeout);
      return this;
    }

    /** The authenticator; required. */
    public Builder authenticator(Authenticator authenticator) {
      this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
      return this;
    }

    public Builder tls(TlsOptions tls) {
      this.tls = tls;
      return this;
    }

    /** Shares an event loop group (NIO or epoll) with other servers; the caller shuts it down. */
    public Builder eventLoopGroup(EventLoopGroup eventLoopGroup) {
      this.eventLoopGroup = eventLoopGroup;
      return this;
    }

    public Builder ioThreads(int ioThreads) {
      this.ioThreads = Checks.range("ioThreads", ioThreads, 0, 1024);
      return this;
    }

    public Builder addListener(SessionListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** The message handlers; default none (every message is answered UNKNOWN_MESSAGE_TYPE). */
    public Builder handlers(MessageHandlers handlers) {
      this.handlers = Objects.requireNonNull(handlers, "handlers");
      return this;
    }

    /** The executor of blocking handlers; default an owned pool of 2 × cores threads (at least 4). */
    public Builder handlerExecutor(Executor handlerExecutor) {
      this.handlerExecutor = handlerExecutor;
      return this;
    }

    /**
     * Metrics and tracing hooks (e.g. {@link io.mcp.core.metrics.McpMetrics}, or several through
     * {@link Telemetry#composite}); default {@link Telemetry#NOOP}.
     */
    public Builder telemetry(Telemetry telemetry) {
      this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
      return this;
    }

    /** Requests a session executes at once; default 1,024. */
    public Builder maxInFlightRequests(int maxInFlightRequests) {
      this.maxInFlightRequests = Checks.range("maxInFlightRequests", maxInFlightRequests, 1, Integer.MAX_VALUE);
      return this;
    }

    /** Requests a session may wait on at once; default 1,024. */
    public Builder maxOutstandingRequests(int maxOutstandingRequests) {
      this.maxOutstandingRequests =
          Checks.range("maxOutstandingRequests", maxOutstandingRequests, 1, Integer.MAX_VALUE);
      return this;
    }

    /** Outbound budget per session in bytes; default 8 MiB. Must hold one maximal frame. */
    public Builder maxQueuedBytes(long maxQueuedBytes) {
      if (maxQueuedBytes < 1) {
        throw new IllegalArgumentException("maxQueuedBytes " + maxQueuedBytes + " must be positive");
      }
      this.maxQueuedBytes = maxQueuedBytes;
      return this;
    }

    /** Netty write-buffer water marks; default 256 KiB / 1 MiB. */
    public Builder writeBufferWaterMarks(int low, int high) {
      Checks.range("writeBufferLowWaterMark", low, 1, Integer.MAX_VALUE);
      Checks.range("writeBufferHighWaterMark", high, low, Integer.MAX_VALUE);
      this.writeBufferLowWaterMark = low;
      this.writeBufferHighWaterMark = high;
      return this;
    }

    /** How long a session may stay unwritable before SLOW_CONSUMER; default 30 s. */
    public Builder writeDeadline(Duration writeDeadline) {
      this.writeDeadline = Checks.positive("writeDeadline", writeDeadline);
      return this;
    }

    public Builder addExtensionProvider(ExtensionCommandProvider provider) {
      extensionProviders.add(Objects.requireNonNull(provider, "provider"));
      return this;
    }

    /** Whether providers on the class path (ServiceLoader) are added too; default true. */
    public Builder loadExtensionProviders(boolean load) {
      this.loadExtensionProviders = load;
      return this;
    }

    /**
     * Builds the options.
     *
     * @throws IllegalStateException if no authenticator was chosen
     */
    public ServerOptions build() {
      if (authenticator == null) {
        throw new IllegalStateException(
            "no authenticator chosen: set one (Authenticators.allowAll() accepts everyone)");
      }
      return new ServerOptions(this);
    }
  }
}
