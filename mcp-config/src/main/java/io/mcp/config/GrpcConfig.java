package io.mcp.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The gRPC server (section {@code grpc}): the ControlPlane API and the gRPC transport for agents.
 * Each setting has the meaning of the same-named {@code io.mcp.grpc.GrpcServerOptions} setting
 * (this module does not depend on mcp-grpc; the embedding application copies them over). Build with
 * {@link #builder()}; immutable and thread-safe.
 *
 * @param enabled whether to start the gRPC server
 * @param host address to bind
 * @param port port to bind; 0 picks a free one
 * @param defaultDeadline deadline of calls that carry none
 * @param maxDeadline longest deadline accepted; longer ones are shortened
 * @param permitKeepAliveTime most frequent client keepalive ping allowed
 * @param maxConnectionIdle idle connections are closed after this
 * @param maxConnectionAge connections are closed gracefully after this
 * @param maxConnectionAgeGrace time given to calls in flight when a connection reaches its age
 * @param maxInboundMessageBytes largest request message
 * @param maxConcurrentCallsPerConnection calls running at once on one connection
 * @param handshakeTimeout TLS/HTTP/2 handshake limit
 */
public record GrpcConfig(boolean enabled, String host, int port, Duration defaultDeadline, Duration maxDeadline,
    Duration permitKeepAliveTime, Duration maxConnectionIdle, Duration maxConnectionAge,
    Duration maxConnectionAgeGrace, int maxInboundMessageBytes, int maxConcurrentCallsPerConnection,
    Duration handshakeTimeout) {

  /** Checks the references; ranges are checked by {@link McpServerConfig#validate()}. */
  public GrpcConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(defaultDeadline, "defaultDeadline");
    Objects.requireNonNull(maxDeadline, "maxDeadline");
    Objects.requireNonNull(permitKeepAliveTime, "permitKeepAliveTime");
    Objects.requireNonNull(maxConnectionIdle, "maxConnectionIdle");
    Objects.requireNonNull(maxConnectionAge, "maxConnectionAge");
    Objects.requireNonNull(maxConnectionAgeGrace, "maxConnectionAgeGrace");
    Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
  }

  /** A builder with the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.enabled = enabled;
    b.host = host;
    b.port = port;
    b.defaultDeadline = defaultDeadline;
    b.maxDeadline = maxDeadline;
    b.permitKeepAliveTime = permitKeepAliveTime;
    b.maxConnectionIdle = maxConnectionIdle;
    b.maxConnectionAge = maxConnectionAge;
    b.maxConnectionAgeGrace = maxConnectionAgeGrace;
    b.maxInboundMessageBytes = maxInboundMessageBytes;
    b.maxConcurrentCallsPerConnection = maxConcurrentCallsPerConnection;
    b.handshakeTimeout = handshakeTimeout;
    return b;
  }

  /** Builds {@link GrpcConfig}. Not thread-safe. */
  public static final class Builder {
    private boolean enabled = true;
    private String host = "127.0.0.1";
    private int port = 7401;
    private Duration defaultDeadline = Duration.ofSeconds(30);
    private Duration maxDeadline = Duration.ofMinutes(5);
    private Duration permitKeepAliveTime = Duration.ofSeconds(10);
    private Duration maxConnectionIdle = Duration.ofMinutes(30);
    private Duration maxConnectionAge = Duration.ofHours(2);
    private Duration maxConnectionAgeGrace = Duration.ofMinutes(1);
    private int maxInboundMessageBytes = 4 * 1024 * 1024;
    private int maxConcurrentCallsPerConnection = 1000;
    private Duration handshakeTimeout = Duration.ofSeconds(10);

    private Builder() {}

    /** Default true. */
    public Builder enabled(boolean v) { this.enabled = v; return this; }
    /** Default 127.0.0.1. */
    public Builder host(String v) { this.host = v; return this; }
    /** Default 7401. */
    public Builder port(int v) { this.port = v; return this; }
    /** Default 30 s. */
    public Builder defaultDeadline(Duration v) { this.defaultDeadline = v; return this; }
    /** Default 5 min. */
    public Builder maxDeadline(Duration v) { this.maxDeadline = v; return this; }
    /** Default 10 s. */
    public Builder permitKeepAliveTime(Duration v) { this.permitKeepAliveTime = v; return this; }
    /** Default 30 min. */
    public Builder maxConnectionIdle(Duration v) { this.maxConnectionIdle = v; return this; }
    /** Default 2 h. */
    public Builder maxConnectionAge(Duration v) { this.maxConnectionAge = v; return this; }
    /** Default 1 min. */
    public Builder maxConnectionAgeGrace(Duration v) { this.maxConnectionAgeGrace = v; return this; }
    /** Default 4 MiB. */
    public Builder maxInboundMessageBytes(int v) { this.maxInboundMessageBytes = v; return this; }
    /** Default 1,000. */
    public Builder maxConcurrentCallsPerConnection(int v) { this.maxConcurrentCallsPerConnection = v; return this; }
    /** Default 10 s. */
    public Builder handshakeTimeout(Duration v) { this.handshakeTimeout = v; return this; }

    /** The configuration; ranges are checked by {@link McpServerConfig#validate()}. */
    public GrpcConfig build() {
      return new GrpcConfig(enabled, host, port, defaultDeadline, maxDeadline, permitKeepAliveTime, maxConnectionIdle,
          maxConnectionAge, maxConnectionAgeGrace, maxInboundMessageBytes, maxConcurrentCallsPerConnection,
          handshakeTimeout);
    }
  }
}
