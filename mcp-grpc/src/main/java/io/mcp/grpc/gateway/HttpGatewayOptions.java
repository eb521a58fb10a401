package io.mcp.grpc.gateway;

import io.mcp.core.TlsOptions;
import io.mcp.core.internal.Checks;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of an {@link HttpGateway}. Immutable; build with {@link #builder()}.
 *
 * <pre>
 * setting               default       what happens past it
 * host                  0.0.0.0
 * port                  0 (any free)
 * eventLoopGroup        the gRPC server's event loops
 * tls                   none (plain HTTP)
 * maxBodyBytes          4 MiB         413, connection closed, body not read
 * maxHeaderBytes        8 KiB         431, connection closed
 * maxInitialLineBytes   4 KiB         414, connection closed
 * requestTimeout        30 s          408, connection closed (request not complete in time)
 * idleTimeout           60 s          an idle keep-alive connection is closed
 * maxJsonDepth          32            400 before the JSON is parsed
 * maxJsonNumberChars    40            400 before the JSON is parsed
 * sseReplayEvents       256           older events cannot be replayed: a reconnect gets a snapshot
 * sseRetention          30 s          a disconnected stream is ended after this
 * maxSseStreams         256           a disconnected stream is evicted, else 429 for a new stream
 * sseHeartbeat          15 s          an SSE comment line keeps idle streams alive
 * console               true          GET / and /console/ serve the web console
 * </pre>
 *
 * <p>Thread-safe.
 */
public final class HttpGatewayOptions {
  private final String host;
  private final int port;
  private final EventLoopGroup eventLoopGroup;
  private final TlsOptions tls;
  private final int maxBodyBytes;
  private final int maxHeaderBytes;
  private final int maxInitialLineBytes;
  private final Duration requestTimeout;
  private final Duration idleTimeout;
  private final int maxJsonDepth;
  private final int maxJsonNumberChars;
  private final int sseReplayEvents;
  private final Duration sseRetention;
  private final int maxSseStreams;
  private final Duration sseHeartbeat;
  private final boolean console;

  private HttpGatewayOptions(Builder b) {
    this.host = b.host;
    this.port = b.port;
    this.eventLoopGroup = b.eventLoopGroup;
    this.tls = b.tls;
    this.maxBodyBytes = b.maxBodyBytes;
    this.maxHeaderBytes = b.maxHeaderBytes;
    this.maxInitialLineBytes = b.maxInitialLineBytes;
    this.requestTimeout = b.requestTimeout;
    this.idleTimeout = b.idleTimeout;
    this.maxJsonDepth = b.maxJsonDepth;
    this.maxJsonNumberChars = b.maxJsonNumberChars;
    this.sseReplayEvents = b.sseReplayEvents;
    this.sseRetention = b.sseRetention;
    this.maxSseStreams = b.maxSseStreams;
    this.sseHeartbeat = b.sseHeartbeat;
    this.console = b.console;
  }

  /** A builder with the defaults in the class description. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these settings. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.host = host;
    b.port = port;
    b.eventLoopGroup = eventLoopGroup;
    b.tls = tls;
    b.maxBodyBytes = maxBodyBytes;
    b.maxHeaderBytes = maxHeaderBytes;
    b.maxInitialLineBytes = maxInitialLineBytes;
    b.requestTimeout = requestTimeout;
    b.idleTimeout = idleTimeout;
    b.maxJsonDepth = maxJsonDepth;
    b.maxJsonNumberChars = maxJsonNumberChars;
    b.sseReplayEvents = sseReplayEvents;
    b.sseRetention = sseRetention;
    b.maxSseStreams = maxSseStreams;
    b.sseHeartbeat = sseHeartbeat;
    b.console = console;
    return b;
  }

  /** The address to bind. */
  public String host() { return host; }
  /** The port to bind; 0 for any free port. */
  public int port() { return port; }
  /** The event loops to run on; null to share the gRPC server's. */
  public EventLoopGroup eventLoopGroup() { return eventLoopGroup; }
  /** TLS settings (HTTPS), or null for plain HTTP. */
  public TlsOptions tls() { return tls; }
  /** The largest request body accepted. */
  public int maxBodyBytes() { return maxBodyBytes; }
  /** The largest request header block accepted. */
  public int maxHeaderBytes() { return maxHeaderBytes; }
  /** The longest request line accepted. */
  public int maxInitialLineBytes() { return maxInitialLineBytes; }
  /** How long a started request may take to arrive in full. */
  public Duration requestTimeout() { return requestTimeout; }
  /** How long a keep-alive connection may stay idle between requests. */
  public Duration idleTimeout() { return idleTimeout; }
  /** The deepest nesting of JSON objects and arrays accepted. */
  public int maxJsonDepth() { return maxJsonDepth; }
  /** The longest JSON number literal accepted, in characters. */
  public int maxJsonNumberChars() { return maxJsonNumberChars; }
  /** How many recent events each SSE stream keeps for a reconnect to replay. */
  public int sseReplayEvents() { return sseReplayEvents; }
  /** How long a stream outlives its disconnected client, waiting for a reconnect. */
  public Duration sseRetention() { return sseRetention; }
  /** The most SSE streams open at once (connected or waiting for a reconnect). */
  public int maxSseStreams() { return maxSseStreams; }
  /** The interval of SSE keep-alive comments. */
  public Duration sseHeartbeat() { return sseHeartbeat; }
  /** Whether the web console is served. */
  public boolean console() { return console; }

  /** Builds {@link HttpGatewayOptions}. Not thread-safe. */
  public static final class Builder {
    private String host = "0.0.0.0";
    private int port;
    private EventLoopGroup eventLoopGroup;
    private TlsOptions tls;
    private int maxBodyBytes = 4 * 1024 * 1024;
    private int maxHeaderBytes = 8 * 1024;
    private int maxInitialLineBytes = 4 * 1024;
    private Duration requestTimeout = Duration.ofSeconds(30);
    private Duration idleTimeout = Duration.ofSeconds(60);
    private int maxJsonDepth = 32;
    private int maxJsonNumberChars = 40;
    private int sseReplayEvents = 256;
    private Duration sseRetention = Duration.ofSeconds(30);
    private int maxSseStreams = 256;
    private Duration sseHeartbeat = Duration.ofSeconds(15);
    private boolean console = true;

    private Builder() {}

    /** The address to bind (default 0.0.0.0). */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The port to bind, 0..65535 (default 0: any free port). */
    public Builder port(int port) {
      this.port = Checks.range("port", port, 0, 65535);
      return this;
    }

    /** Event loops to run on; null (the default) shares the gRPC server's, which are the controller's by default. */
    public Builder eventLoopGroup(EventLoopGroup group) {
      this.eventLoopGroup = group;
      return this;
    }

    /**
     * Serves HTTPS with {@code tls} (its key pair; with {@code clientAuth} REQUIRE only clients with
     * a certificate from {@code trustedCertificates} may connect, but their identity still comes
     * from the bearer token). Null (the default) serves plain HTTP.
     */
    public Builder tls(TlsOptions tls) {
      this.tls = tls;
      return this;
    }

    /** The largest request body, 1 byte..64 MiB (default 4 MiB). */
    public Builder maxBodyBytes(int bytes) {
      this.maxBodyBytes = Checks.range("maxBodyBytes", bytes, 1, 64 * 1024 * 1024);
      return this;
    }

    /** The largest request header block, 1 KiB..64 KiB (default 8 KiB). */
    public Builder maxHeaderBytes(int bytes) {
      this.maxHeaderBytes = Checks.range("maxHeaderBytes", bytes, 1024, 64 * 1024);
      return this;
    }

    /** The longest request line, 256 bytes..64 KiB (default 4 KiB). */
    public Builder maxInitialLineBytes(int bytes) {
      this.maxInitialLineBytes = Checks.range("maxInitialLineBytes", bytes, 256, 64 * 1024);
      return this;
    }

    /** How long a started request may take to arrive in full (default 30 s); then 408. */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive("requestTimeout", timeout);
      return this;
    }

    /** How long a keep-alive connection may idle between requests (default 60 s). */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = positive("idleTimeout", timeout);
      return this;
    }

    /** JSON bounds checked before parsing: nesting depth 1..1000 (default 32), number length 1..1000 (default 40). */
    public Builder jsonLimits(int maxDepth, int maxNumberChars) {
      this.maxJsonDepth = Checks.range("maxJsonDepth", maxDepth, 1, 1000);
      this.maxJsonNumberChars = Checks.range("maxJsonNumberChars", maxNumberChars, 1, 1000);
      return this;
    }

    /**
     * SSE resumption: each stream keeps its last {@code replayEvents} (1..1,000,000, default 256)
     * events and survives a disconnect by {@code retention} (default 30 s); at most
     * {@code maxStreams} (1..1,000,000, default 256) streams at once. Memory for replay is about
     * {@code replayEvents * maxStreams} events of JSON.
     */
    public Builder sse(int replayEvents, Duration retention, int maxStreams) {
      this.sseReplayEvents = Checks.range("sseReplayEvents", replayEvents, 1, 1_000_000);
      this.sseRetention = positive("sseRetention", retention);
      this.maxSseStreams = Checks.range("maxSseStreams", maxStreams, 1, 1_000_000);
      return this;
    }

    /** The interval of SSE keep-alive comments (default 15 s). */
    public Builder sseHeartbeat(Duration interval) {
      this.sseHeartbeat = positive("sseHeartbeat", interval);
      return this;
    }

    /** Whether to serve the web console at / and /console/ (default true). */
    public Builder console(boolean enabled) {
      this.console = enabled;
      return this;
    }

    /** The options. */
    public HttpGatewayOptions build() {
      return new HttpGatewayOptions(this);
    }

    private static Duration positive(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " " + value + " must be positive");
      }
      return value;
    }
  }
}
