package io.mcp.core;

import io.mcp.codec.CodecOptions;
import io.mcp.core.internal.Checks;
import io.mcp.core.spi.ExtensionCommandProvider;
import io.netty.channel.EventLoopGroup;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Settings of an {@link McpClient}: who the client is (node id, service, token, metadata, applied
 * versions), and its limits. Immutable; build with {@link #builder(String)}, change with {@link
 * #toBuilder()}.
 *
 * <table>
 *   <caption>Limits and their defaults</caption>
 *   <tr><th>setting</th><th>default</th></tr>
 *   <tr><td>heartbeatInterval (wanted)</td><td>0: the server's default</td></tr>
 *   <tr><td>connectTimeout</td><td>5 s</td></tr>
 *   <tr><td>handshakeTimeout (connect to Welcome)</td><td>10 s</td></tr>
 *   <tr><td>idleTimeout</td><td>3 × the agreed heartbeat interval</td></tr>
 *   <tr><td>maxPayloadBytes</td><td>4 MiB</td></tr>
 *   <tr><td>maxPingsPerInterval</td><td>10</td></tr>
 *   <tr><td>closeDrainTimeout</td><td>2 s</td></tr>
 *   <tr><td>maxInFlightRequests / maxOutstandingRequests</td><td>1,024 / 1,024</td></tr>
 *   <tr><td>maxQueuedBytes (outbound budget)</td><td>8 MiB</td></tr>
 *   <tr><td>write-buffer water marks</td><td>256 KiB / 1 MiB</td></tr>
 *   <tr><td>writeDeadline</td><td>30 s</td></tr>
 * </table>
 *
 * <p>Thread-safe.
 */
public final class ClientOptions {
  private final String nodeId;
  private final String serviceName;
  private final String token;
  private final Duration heartbeatInterval;
  private final Map<String, Long> appliedVersions;
  private final Map<String, String> metadata;
  private final ByteOrder byteOrder;
  private final int maxPayloadBytes;
  private final Duration connectTimeout;
  private final Duration handshakeTimeout;
  private final Duration idleTimeout;
  private final int maxPingsPerInterval;
  private final Duration closeDrainTimeout;
  private final TlsOptions tls;
  private final EventLoopGroup eventLoopGroup;
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

  private ClientOptions(Builder b) {
    nodeId = b.nodeId;
    serviceName = b.serviceName;
    token = b.token;
    heartbeatInterval = b.heartbeatInterval;
    appliedVersions = Map.copyOf(b.appliedVersions);
    metadata = Map.copyOf(b.metadata);
    byteOrder = b.byteOrder;
    maxPayloadBytes = b.maxPayloadBytes;
    connectTimeout = b.connectTimeout;
    handshakeTimeout = b.handshakeTimeout;
    idleTimeout = b.idleTimeout;
    maxPingsPerInterval = b.maxPingsPerInterval;
    closeDrainTimeout = b.closeDrainTimeout;
    tls = b.tls;
    eventLoopGroup = b.eventLoopGroup;
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
  }

  /** A builder for a client that identifies as {@code nodeId}. */
  public static Builder builder(String nodeId) {
    return new Builder(nodeId);
  }

  /** A builder starting from these options. */
  public Builder toBuilder() {
    Builder b = new Builder(nodeId);
    b.serviceName = serviceName;
    b.token = token;
    b.heartbeatInterval = heartbeatInterval;
    b.appliedVersions.putAll(appliedVersions);
    b.metadata.putAll(metadata);
    b.byteOrder = byteOrder;
    b.maxPayloadBytes = maxPayloadBytes;
    b.connectTimeout = connectTimeout;
    b.handshakeTimeout = handshakeTimeout;
    b.idleTimeout = idleTimeout;
    b.maxPingsPerInterval = maxPingsPerInterval;
    b.closeDrainTimeout = closeDrainTimeout;
    b.tls = tls;
    b.eventLoopGroup = eventLoopGroup;
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
    return b;
  }

  public String nodeId() {
    return nodeId;
  }

  public String serviceName() {
    return serviceName;
  }

  /** The token sent in Hello; never logged. */
  public String token() {
    return token;
  }

  /** The wanted heartbeat interval; zero asks for the server's default. */
  public Duration heartbeatInterval() {
    return heartbeatInterval;
  }

  public Map<String, Long> appliedVersions() {
    return appliedVersions;
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  public ByteOrder byteOrder() {
    return byteOrder;
  }

  public int maxPayloadBytes() {
    return maxPayloadBytes;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public Duration handshakeTimeout() {
    return handshakeTimeout;
  }

  /** The idle timeout, or {@code null} for 3 × the agreed heartbeat interval. */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  public int maxPingsPerInterval() {
    return maxPingsPerInterval;
  }

  public Duration closeDrainTimeout() {
    return closeDrainTimeout;
  }

  /** TLS settings, or {@code null} for plaintext. */
  public TlsOptions tls() {
    return tls;
  }

  /** The event loop group to share, or {@code null} for the client's own. */
  public EventLoopGroup eventLoopGroup() {
    return eventLoopGroup;
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

  CodecOptions codecOptions() {
    return CodecOptions.builder().byteOrder(byteOrder).maxPayloadBytes(maxPayloadBytes).build();
  }

  @Override
  public String toString() {
    return "ClientOptions{node=" + nodeId + ", service=" + serviceName + ", token="
        + (token.isEmpty() ? "none" : "***") + ", tls=" + (tls != null) + "}";
  }

  /** Builds {@link ClientOptions}. Not thread-safe. */
  public static final class Builder {
    private final String nodeId;
    private String serviceName = "";
    private String token = "";
    private Duration heartbeatInterval = Duration.ZERO;
    private final Map<String, Long> appliedVersions = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private ByteOrder byteOrder = ByteOrder.BIG_ENDIAN;
    private int maxPayloadBytes = CodecOptions.DEFAULT_MAX_PAYLOAD_BYTES;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration handshakeTimeout = Duration.ofSeconds(10);
    private Duration idleTimeout;
    private int maxPingsPerInterval = 10;
    private Duration closeDrainTimeout = Duration.ofSeconds(2);
    private TlsOptions tls;
    private EventLoopGroup eventLoopGroup;
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

    private Builder(String nodeId) {
      Objects.requireNonNull(nodeId, "nodeId");
      if (nodeId.isEmpty()) {
        throw new IllegalArgumentException("nodeId must not be empty");
      }
      this.nodeId = nodeId;
    }

    public Builder serviceName(String serviceName) {
      this.serviceName = Objects.requireNonNull(serviceName, "serviceName");
      return this;
    }

    public Builder token(String token) {
      this.token = Objects.requireNonNull(token, "token");
      return this;
    }

    /** The interval to ask for; zero (the default) takes the server's default. */
    public Builder heartbeatInterval(Duration heartbeatInterval) {
      Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
      if (heartbeatInterval.isNegative()) {
        throw new IllegalArgumentException("heartbeatInterval " + heartbeatInterval.toMillis() + " ms is negative");
      }
      this.heartbeatInterval = heartbeatInterval;
      return this;
    }

    public Builder appliedVersion(String service, long version) {
      appliedVersions.put(Objects.requireNonNull(service, "service"), version);
      return this;
    }

    public Builder appliedVersions(Map<String, Long> versions) {
      appliedVersions.clear();
      appliedVersions.putAll(versions);
      return this;
    }

    public Builder metadata(String key, String value) {
      metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    public Builder byteOrder(ByteOrder byteOrder) {
      this.byteOrder = Objects.requireNonNull(byteOrder, "byteOrder");
      return this;
    }

    public Builder maxPayloadBytes(int maxPayloadBytes) {
      this.maxPayloadBytes = Checks.range("maxPayloadBytes", maxPayloadBytes, 0, CodecOptions.MAX_MAX_PAYLOAD_BYTES);
      return this;
    }

    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = Checks.positive("connectTimeout", connectTimeout);
      return this;
    }

    public Builder handshakeTimeout(Duration handshakeTimeout) {
      this.handshakeTimeout = Checks.positive("handshakeTimeout", handshakeTimeout);
      return this;
    }

    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = idleTimeout == null ? null : Checks.positive("idleTimeout", idleTimeout);
      return this;
    }

    public Builder maxPingsPerInterval(int maxPingsPerInterval) {
      this.maxPingsPerInterval = Checks.range("maxPingsPerInterval", maxPingsPerInterval, 1, Integer.MAX_VALUE);
      return this;
    }

    public Builder closeDrainTimeout(Duration closeDrainTimeout) {
      this.closeDrainTimeout = Checks.positive("closeDrainTimeout", closeDrainTimeout);
      return this;
    }

    public Builder tls(TlsOptions tls) {
      this.tls = tls;
      return this;
    }

    /** Shares an event loop group (NIO or epoll); the caller shuts it down. */
    public Builder eventLoopGroup(EventLoopGroup eventLoopGroup) {
      this.eventLoopGroup = eventLoopGroup;
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

    public ClientOptions build() {
      return new ClientOptions(this);
    }
  }
}
