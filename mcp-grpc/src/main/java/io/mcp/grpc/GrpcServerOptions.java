package io.mcp.grpc;

import io.mcp.core.TlsOptions;
import io.mcp.core.internal.Checks;
import io.mcp.core.spi.Authenticator;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link GrpcControlPlaneServer}. Immutable; build with {@link #builder()}.
 *
 * <table>
 *   <caption>Limits and their defaults</caption>
 *   <tr><th>setting</th><th>default</th></tr>
 *   <tr><td>host / port</td><td>0.0.0.0 / 0 (ephemeral)</td></tr>
 *   <tr><td>shareEventLoops (run on the MCP server's Netty event loops)</td><td>true</td></tr>
 *   <tr><td>maxInboundMessageBytes (larger: RESOURCE_EXHAUSTED)</td><td>4 MiB</td></tr>
 *   <tr><td>maxInboundMetadataBytes</td><td>8 KiB</td></tr>
 *   <tr><td>defaultDeadline / maxDeadline (unary calls)</td><td>30 s / 5 min</td></tr>
 *   <tr><td>permitKeepAliveTime (pings more often: too_many_pings GOAWAY)</td><td>10 s</td></tr>
 *   <tr><td>maxConcurrentCallsPerConnection</td><td>1,000</td></tr>
 *   <tr><td>maxRstFramesPerWindow (rapid-reset guard)</td><td>200 per 10 s</td></tr>
 *   <tr><td>handshakeTimeout (TLS and HTTP/2 preface)</td><td>10 s</td></tr>
 *   <tr><td>maxConnectionIdle / maxConnectionAge / grace</td><td>30 min / 2 h / 1 min</td></tr>
 *   <tr><td>statusQueueLimit / statusLagTimeout (StreamStatus readers)</td><td>1,024 / 30 s</td></tr>
 *   <tr><td>idempotency cache (request ids)</td><td>10,000 ids, 10 min</td></tr>
 * </table>
 *
 * <p>The authenticator checks bearer tokens (and TLS client certificates) of admin calls; by
 * default the controller's MCP authenticator is used, so one credential scheme covers both
 * transports. Agents on {@code Connect} authenticate in their MCP/1 Hello, as on TCP.
 */
public final class GrpcServerOptions {
  private final String host;
  private final int port;
  private final boolean shareEventLoops;
  private final Authenticator authenticator;
  private final String adminRole;
  private final TlsOptions tls;
  private final int maxInboundMessageBytes;
  private final int maxInboundMetadataBytes;
  private final Duration defaultDeadline;
  private final Duration maxDeadline;
  private final Duration permitKeepAliveTime;
  private final int maxConcurrentCallsPerConnection;
  private final int maxRstFramesPerWindow;
  private final Duration rstWindow;
  private final Duration handshakeTimeout;
  private final Duration maxConnectionIdle;
  private final Duration maxConnectionAge;
  private final Duration maxConnectionAgeGrace;
  private final int statusQueueLimit;
  private final Duration statusLagTimeout;
  private final CallMetrics metrics;
  private final java.util.List<io.grpc.ServerInterceptor> interceptors;

  private GrpcServerOptions(Builder b) {
    host = b.host;
    port = b.port;
    shareEventLoops = b.shareEventLoops;
    authenticator = b.authenticator;
    adminRole = b.adminRole;
    tls = b.tls;
    maxInboundMessageBytes = b.maxInboundMessageBytes;
    maxInboundMetadataBytes = b.maxInboundMetadataBytes;
    defaultDeadline = b.defaultDeadline;
    maxDeadline = b.maxDeadline;
    permitKeepAliveTime = b.permitKeepAliveTime;
    maxConcurrentCallsPerConnection = b.maxConcurrentCallsPerConnection;
    maxRstFramesPerWindow = b.maxRstFramesPerWindow;
    rstWindow = b.rstWindow;
    handshakeTimeout = b.handshakeTimeout;
    maxConnectionIdle = b.maxConnectionIdle;
    maxConnectionAge = b.maxConnectionAge;
    maxConnectionAgeGrace = b.maxConnectionAgeGrace;
    statusQueueLimit = b.statusQueueLimit;
    statusLagTimeout = b.statusLagTimeout;
    metrics = b.metrics;
    interceptors = java.util.List.copyOf(b.interceptors);
  }

  public static Builder builder() {
    return new Builder();
  }

  public String host() { return host; }
  public int port() { return port; }
  public boolean shareEventLoops() { return shareEventLoops; }
  /** The authenticator, or {@code null} for the controller's. */
  public Authenticator authenticator() { return authenticator; }
  public String adminRole() { return adminRole; }
  public TlsOptions tls() { return tls; }
  public int maxInboundMessageBytes() { return maxInboundMessageBytes; }
  public int maxInboundMetadataBytes() { return maxInboundMetadataBytes; }
  public Duration defaultDeadline() { return defaultDeadline; }
  public Duration maxDeadline() { return maxDeadline; }
  public Duration permitKeepAliveTime() { return permitKeepAliveTime; }
  public int maxConcurrentCallsPerConnection() { return maxConcurrentCallsPerConnection; }
  public int maxRstFramesPerWindow() { return maxRstFramesPerWindow; }
  public Duration rstWindow() { return rstWindow; }
  public Duration handshakeTimeout() { return handshakeTimeout; }
  public Duration maxConnectionIdle() { return maxConnectionIdle; }
  public Duration maxConnectionAge() { return maxConnectionAge; }
  public Duration maxConnectionAgeGrace() { return maxConnectionAgeGrace; }
  public int statusQueueLimit() { return statusQueueLimit; }
  public Duration statusLagTimeout() { return statusLagTimeout; }
  public CallMetrics metrics() { return metrics; }

  /** Extra interceptors of the ControlPlane service, outside the built-in ones (first = outermost). */
  public java.util.List<io.grpc.ServerInterceptor> interceptors() {
    return interceptors;
  }

  /** Builds {@link GrpcServerOptions}. Not thread-safe. */
  public static final class Builder {
    private String host = "0.0.0.0";
    private int port;
    private boolean shareEventLoops = true;
    private Authenticator authenticator;
    private String adminRole = "admin";
    private TlsOptions tls;
    private int maxInboundMessageBytes = 4 * 1024 * 1024;
    private int maxInboundMetadataBytes = 8 * 1024;
    private Duration defaultDeadline = Duration.ofSeconds(30);
    private Duration maxDeadline = Duration.ofMinutes(5);
    private Duration permitKeepAliveTime = Duration.ofSeconds(10);
    private int maxConcurrentCallsPerConnection = 1000;
    private int maxRstFramesPerWindow = 200;
    private Duration rstWindow = Duration.ofSeconds(10);
    private Duration handshakeTimeout = Duration.ofSeconds(10);
    private Duration maxConnectionIdle = Duration.ofMinutes(30);
    private Duration maxConnectionAge = Duration.ofHours(2);
    private Duration maxConnectionAgeGrace = Duration.ofMinutes(1);
    private int statusQueueLimit = 1024;
    private Duration statusLagTimeout = Duration.ofSeconds(30);
    private CallMetrics metrics = CallMetrics.none();
    private final java.util.List<io.grpc.ServerInterceptor> interceptors = new java.util.ArrayList<>();

    private Builder() {}

    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    public Builder port(int port) {
      this.port = Checks.range("port", port, 0, 65535);
      return this;
    }

    /** Whether to run on the MCP server's Netty event loops (true) or gRPC's own. */
    public Builder shareEventLoops(boolean share) {
      this.shareEventLoops = share;
      return this;
    }

    public Builder authenticator(Authenticator authenticator) {
      this.authenticator = authenticator;
      return this;
    }

    public Builder adminRole(String adminRole) {
      this.adminRole = Objects.requireNonNull(adminRole, "adminRole");
      return this;
    }

    /**
     * Serves over TLS with {@code tls} (null: plaintext): its files, protocols and client
     * authentication, as {@link TlsOptions#newServerContextBuilder()} reads them, plus HTTP/2 ALPN.
     * Checked when the server is created; a missing file is named.
     */
    public Builder tls(TlsOptions tls) {
      this.tls = tls;
      return this;
    }

    public Builder maxInboundMessageBytes(int bytes) {
      this.maxInboundMessageBytes = positive("maxInboundMessageBytes", bytes);
      return this;
    }

    public Builder maxInboundMetadataBytes(int bytes) {
      this.maxInboundMetadataBytes = positive("maxInboundMetadataBytes", bytes);
      return this;
    }

    public Builder deadlines(Duration defaultDeadline, Duration maxDeadline) {
      if (defaultDeadline.compareTo(maxDeadline) > 0) {
        throw new IllegalArgumentException("defaultDeadline " + defaultDeadline + " exceeds maxDeadline " + maxDeadline);
      }
      this.defaultDeadline = defaultDeadline;
      this.maxDeadline = maxDeadline;
      return this;
    }

    public Builder permitKeepAliveTime(Duration time) {
      this.permitKeepAliveTime = Objects.requireNonNull(time, "time");
      return this;
    }

    public Builder maxConcurrentCallsPerConnection(int calls) {
      this.maxConcurrentCallsPerConnection = positive("maxConcurrentCallsPerConnection", calls);
      return this;
    }

    public Builder maxRstFramesPerWindow(int frames, Duration window) {
      this.maxRstFramesPerWindow = positive("maxRstFramesPerWindow", frames);
      this.rstWindow = Objects.requireNonNull(window, "window");
      return this;
    }

    public Builder handshakeTimeout(Duration timeout) {
      this.handshakeTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    public Builder maxConnectionAge(Duration idle, Duration age, Duration grace) {
      this.maxConnectionIdle = Objects.requireNonNull(idle, "idle");
      this.maxConnectionAge = Objects.requireNonNull(age, "age");
      this.maxConnectionAgeGrace = Objects.requireNonNull(grace, "grace");
      return this;
    }

    public Builder statusStream(int queueLimit, Duration lagTimeout) {
      this.statusQueueLimit = positive("statusQueueLimit", queueLimit);
      this.statusLagTimeout = Objects.requireNonNull(lagTimeout, "lagTimeout");
      return this;
    }

    public Builder metrics(CallMetrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /**
     * Adds an interceptor around the ControlPlane service, outside the built-in authentication,
     * deadline and logging interceptors; interceptors added first run first. For example
     * {@link GrpcTracing#serverInterceptor}, so that the call's span is current while it is
     * authenticated and served.
     */
    public Builder addInterceptor(io.grpc.ServerInterceptor interceptor) {
      interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    private static int positive(String name, int value) {
      if (value < 1) {
        throw new IllegalArgumentException(name + " " + value + " must be positive");
      }
      return value;
    }

    public GrpcServerOptions build() {
      return new GrpcServerOptions(this);
    }
  }
}
