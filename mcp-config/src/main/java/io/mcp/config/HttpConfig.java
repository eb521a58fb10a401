package io.mcp.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The HTTP/JSON gateway and web console (section {@code http}). Build with {@link #builder()};
 * immutable and thread-safe.
 *
 * @param enabled whether to start the gateway
 * @param host address to bind
 * @param port port to bind; 0 picks a free one
 * @param maxBodyBytes largest request body; larger requests get 413
 * @param maxHeaderBytes largest request head (request line and headers); larger get 431
 * @param requestTimeout longest time a request may take, waits included
 */
public record HttpConfig(boolean enabled, String host, int port, int maxBodyBytes, int maxHeaderBytes,
    Duration requestTimeout) {

  /** Checks the references; ranges are checked by {@link McpServerConfig#validate()}. */
  public HttpConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
  }

  /** A builder with the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder().enabled(enabled).host(host).port(port).maxBodyBytes(maxBodyBytes)
        .maxHeaderBytes(maxHeaderBytes).requestTimeout(requestTimeout);
  }

  /** Builds {@link HttpConfig}. Not thread-safe. */
  public static final class Builder {
    private boolean enabled = true;
    private String host = "127.0.0.1";
    private int port = 7402;
    private int maxBodyBytes = 4 * 1024 * 1024;
    private int maxHeaderBytes = 8 * 1024;
    private Duration requestTimeout = Duration.ofSeconds(30);

    private Builder() {}

    /** Default true. */
    public Builder enabled(boolean v) { this.enabled = v; return this; }
    /** Default 127.0.0.1. */
    public Builder host(String v) { this.host = v; return this; }
    /** Default 7402. */
    public Builder port(int v) { this.port = v; return this; }
    /** Default 4 MiB. */
    public Builder maxBodyBytes(int v) { this.maxBodyBytes = v; return this; }
    /** Default 8 KiB. */
    public Builder maxHeaderBytes(int v) { this.maxHeaderBytes = v; return this; }
    /** Default 30 s. */
    public Builder requestTimeout(Duration v) { this.requestTimeout = v; return this; }

    /** The configuration; ranges are checked by {@link McpServerConfig#validate()}. */
    public HttpConfig build() {
      return new HttpConfig(enabled, host, port, maxBodyBytes, maxHeaderBytes, requestTimeout);
    }
  }
}
