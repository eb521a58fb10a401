package io.mcp.core;

import io.mcp.codec.CodecOptions;
import io.mcp.core.spi.ExtensionCommandProvider;
import io.netty.channel.EventLoopGroup;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

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
  private final DataHandler dataHandler;
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
    dataHandler = b.dataHandler;
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
    b.dataHandler = dataHandler;
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

  public DataHandler dataHandler() {
    return dataHandler;
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
    private DataHandler dataHandler = DataHandler.discard();
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

    public Builder dataHandler(DataHandler dataHandler) {
      this.dataHandler = Objects.requireNonNull(dataHandler, "dataHandler");
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
