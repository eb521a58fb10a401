package io.mcp.config;

import java.util.Map;
import java.util.Objects;

/**
 * The whole configuration of a standalone controller: the MCP/1 TCP server, the gRPC server, the
 * HTTP gateway, TLS, the store and authentication. Immutable; load it in layers with {@link
 * ConfigLoader}, or fill it with {@link #builder()} (from Spring, Micronaut or code) and call
 * {@link #validate()}. Its {@link #toString()} never prints a secret.
 *
 * <p>Thread-safe.
 *
 * @param server the MCP/1 TCP server (section {@code server})
 * @param grpc the gRPC server (section {@code grpc})
 * @param http the HTTP gateway (section {@code http})
 * @param tls TLS for every listener (section {@code tls})
 * @param store the configuration store (section {@code store})
 * @param auth authentication (section {@code auth})
 */
public record McpServerConfig(TcpServerConfig server, GrpcConfig grpc, HttpConfig http, TlsConfig tls,
    StoreConfig store, AuthConfig auth) {

  /** Checks the references. */
  public McpServerConfig {
    Objects.requireNonNull(server, "server");
    Objects.requireNonNull(grpc, "grpc");
    Objects.requireNonNull(http, "http");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(auth, "auth");
  }

  /** The built-in defaults (not valid on their own: {@code auth.agent-token} has no default). */
  public static McpServerConfig defaults() {
    return builder().build();
  }

  /**
   * Checks every range and every rule between keys, reporting all problems at once; each names
   * the key, its value (secrets as {@code ***}) and, for values set in code, the source {@code set
   * in code}.
   *
   * @return this configuration
   * @throws ConfigException listing every problem
   */
  public McpServerConfig validate() {
    ConfigValidator.check(this, Map.of(), "set in code");
    return this;
  }

  /** A builder with the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder().server(server).grpc(grpc).http(http).tls(tls).store(store).auth(auth);
  }

  /** Builds {@link McpServerConfig}. Not thread-safe. */
  public static final class Builder {
    private TcpServerConfig server = TcpServerConfig.builder().build();
    private GrpcConfig grpc = GrpcConfig.builder().build();
    private HttpConfig http = HttpConfig.builder().build();
    private TlsConfig tls = TlsConfig.disabled();
    private StoreConfig store = StoreConfig.builder().build();
    private AuthConfig auth = AuthConfig.builder().build();

    private Builder() {}

    /** Default {@code TcpServerConfig.builder().build()}. */
    public Builder server(TcpServerConfig v) { this.server = v; return this; }
    /** Default {@code GrpcConfig.builder().build()}. */
    public Builder grpc(GrpcConfig v) { this.grpc = v; return this; }
    /** Default {@code HttpConfig.builder().build()}. */
    public Builder http(HttpConfig v) { this.http = v; return this; }
    /** Default {@link TlsConfig#disabled()}. */
    public Builder tls(TlsConfig v) { this.tls = v; return this; }
    /** Default {@code StoreConfig.builder().build()}. */
    public Builder store(StoreConfig v) { this.store = v; return this; }
    /** Default {@code AuthConfig.builder().build()}. */
    public Builder auth(AuthConfig v) { this.auth = v; return this; }

    /** The configuration, unchecked: call {@link McpServerConfig#validate()}. */
    public McpServerConfig build() {
      return new McpServerConfig(server, grpc, http, tls, store, auth);
    }
  }
}
