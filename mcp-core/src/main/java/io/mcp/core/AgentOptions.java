package io.mcp.core;

import io.mcp.core.internal.Checks;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Settings of an {@link Agent}. Immutable; build with {@link #builder(String)}.
 *
 * <table>
 *   <caption>Settings and defaults</caption>
 *   <tr><th>setting</th><th>default</th></tr>
 *   <tr><td>services, endpoints, configListener</td><td>required</td></tr>
 *   <tr><td>stateDirectory (durable copy of the last applied configuration)</td><td>none</td></tr>
 *   <tr><td>statusInterval (periodic status report)</td><td>10 s</td></tr>
 *   <tr><td>reconnectPolicy</td><td>{@link ReconnectPolicy#defaults()}</td></tr>
 * </table>
 */
public final class AgentOptions {
  private final String nodeId;
  private final List<String> orderedServices;
  private final List<InetSocketAddress> endpoints;
  private final String token;
  private final Map<String, String> metadata;
  private final ConfigListener configListener;
  private final Path stateDirectory;
  private final Duration statusInterval;
  private final ReconnectPolicy reconnectPolicy;
  private final TlsOptions tls;
  private final AgentTransport transport;
  private final UnaryOperator<ClientOptions.Builder> clientCustomizer;

  private AgentOptions(Builder b) {
    nodeId = b.nodeId;
    endpoints = List.copyOf(b.endpoints);
    token = b.token;
    metadata = Map.copyOf(b.metadata);
    configListener = b.configListener;
    stateDirectory = b.stateDirectory;
    statusInterval = b.statusInterval;
    reconnectPolicy = b.reconnectPolicy;
    tls = b.tls;
    transport = b.transport;
    clientCustomizer = b.clientCustomizer;
    orderedServices = List.copyOf(b.services);
  }

  public static Builder builder(String nodeId) {
    return new Builder(nodeId);
  }

  public String nodeId() {
    return nodeId;
  }

  /** The services in the order given; the first is the Hello's service_name. */
  public List<String> services() {
    return orderedServices;
  }

  public List<InetSocketAddress> endpoints() {
    return endpoints;
  }

  public String token() {
    return token;
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  public ConfigListener configListener() {
    return configListener;
  }

  /** Where the last applied configuration is kept, or {@code null}. */
  public Path stateDirectory() {
    return stateDirectory;
  }

  public Duration statusInterval() {
    return statusInterval;
  }

  public ReconnectPolicy reconnectPolicy() {
    return reconnectPolicy;
  }

  public TlsOptions tls() {
    return tls;
  }

  /** How the controllers are reached; default {@link AgentTransport#tcp()}. */
  public AgentTransport transport() {
    return transport;
  }

  UnaryOperator<ClientOptions.Builder> clientCustomizer() {
    return clientCustomizer;
  }

  /** Builds {@link AgentOptions}. Not thread-safe. */
  public static final class Builder {
    private final String nodeId;
    private final List<String> services = new ArrayList<>();
    private final List<InetSocketAddress> endpoints = new ArrayList<>();
    private String token = "";
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private ConfigListener configListener;
    private Path stateDirectory;
    private Duration statusInterval = Duration.ofSeconds(10);
    private ReconnectPolicy reconnectPolicy = ReconnectPolicy.defaults();
    private TlsOptions tls;
    private AgentTransport transport = AgentTransport.tcp();
    private UnaryOperator<ClientOptions.Builder> clientCustomizer = UnaryOperator.identity();

    private Builder(String nodeId) {
      this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    }

    /** The services this node serves (at least one). */
    public Builder services(String... services) {
      for (String service : services) {
        if (service.isEmpty() || service.contains(",")) {
          throw new IllegalArgumentException("service name \"" + service + "\" must be non-empty and contain no comma");
        }
        if (!this.services.contains(service)) {
          this.services.add(service);
        }
      }
      return this;
    }

    /** Controller endpoints, tried in order on every reconnect. */
    public Builder endpoints(List<InetSocketAddress> endpoints) {
      this.endpoints.addAll(endpoints);
      return this;
    }

    public Builder endpoint(InetSocketAddress endpoint) {
      this.endpoints.add(Objects.requireNonNull(endpoint, "endpoint"));
      return this;
    }

    public Builder token(String token) {
      this.token = Objects.requireNonNull(token, "token");
      return this;
    }

    /** A label or other metadata sent in the Hello (used by label selectors). */
    public Builder metadata(String key, String value) {
      metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    public Builder configListener(ConfigListener listener) {
      this.configListener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** Keeps the last applied configuration here, so a restarted node starts with it. */
    public Builder stateDirectory(Path directory) {
      this.stateDirectory = directory;
      return this;
    }

    public Builder statusInterval(Duration interval) {
      this.statusInterval = Checks.positive("statusInterval", interval);
      return this;
    }

    public Builder reconnectPolicy(ReconnectPolicy policy) {
      this.reconnectPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    public Builder tls(TlsOptions tls) {
      this.tls = tls;
      return this;
    }

    /**
     * The transport to the controllers, for example mcp-grpc's gRPC transport; default TCP. The
     * agent closes it when it closes.
     */
    public Builder transport(AgentTransport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /** Adjusts the underlying client's options (limits, heartbeat, event loops). */
    public Builder client(UnaryOperator<ClientOptions.Builder> customizer) {
      this.clientCustomizer = Objects.requireNonNull(customizer, "customizer");
      return this;
    }

    public AgentOptions build() {
      if (services.isEmpty()) {
        throw new IllegalStateException("an agent needs at least one service");
      }
      if (endpoints.isEmpty()) {
        throw new IllegalStateException("an agent needs at least one controller endpoint");
      }
      if (configListener == null) {
        throw new IllegalStateException("an agent needs a configListener");
      }
      return new AgentOptions(this);
    }
  }
}
