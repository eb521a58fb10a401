package io.mcp.store.etcd;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Settings of an {@link EtcdConfigStore}. Immutable; build with {@link #builder(List)}.
 *
 * <table>
 *   <caption>Settings and defaults</caption>
 *   <tr><th>setting</th><th>default</th></tr>
 *   <tr><td>endpoints (etcd client URLs, e.g. {@code http://10.0.0.1:2379})</td><td>required</td></tr>
 *   <tr><td>keyPrefix (every key of the store lives under it; see {@link EtcdConfigStore})</td>
 *       <td>{@code /mcp/v1}</td></tr>
 *   <tr><td>historyLimit (versions kept per service; older ones are deleted in the appending
 *       transaction, their numbers are never reused)</td><td>100</td></tr>
 *   <tr><td>requestTimeout (one etcd request, retries included, before UNAVAILABLE)</td><td>5 s</td></tr>
 *   <tr><td>leaseTtl (presence of a replica and its nodes outlives a dead replica by at most this)</td>
 *       <td>10 s</td></tr>
 *   <tr><td>replicaId (this replica in the fleet presence)</td><td>a random UUID</td></tr>
 *   <tr><td>maxConfigBytes (largest configuration accepted; etcd's own {@code --max-request-bytes}
 *       defaults to 1.5 MiB and must be above it)</td><td>1,536,000</td></tr>
 *   <tr><td>clock (the {@code createdAt} of new versions)</td><td>system UTC</td></tr>
 * </table>
 */
public final class EtcdStoreOptions {
  /** Default of {@link #maxConfigBytes()}: 1.5 MiB minus room for keys and the transaction. */
  public static final int DEFAULT_MAX_CONFIG_BYTES = 1_536_000;

  private final List<URI> endpoints;
  private final String keyPrefix;
  private final int historyLimit;
  private final Duration requestTimeout;
  private final Duration leaseTtl;
  private final String replicaId;
  private final int maxConfigBytes;
  private final Clock clock;
  private final io.mcp.core.TlsOptions tls;
  private final String user;
  private final String password;

  private EtcdStoreOptions(Builder b) {
    endpoints = List.copyOf(b.endpoints);
    keyPrefix = b.keyPrefix;
    historyLimit = b.historyLimit;
    requestTimeout = b.requestTimeout;
    leaseTtl = b.leaseTtl;
    replicaId = b.replicaId;
    maxConfigBytes = b.maxConfigBytes;
    clock = b.clock;
    tls = b.tls;
    user = b.user;
    password = b.password;
  }

  /** A builder for a store on the etcd cluster at {@code endpoints} (at least one). */
  public static Builder builder(List<URI> endpoints) {
    return new Builder(endpoints);
  }

  /** A builder starting from these settings. */
  public Builder toBuilder() {
    Builder b = new Builder(endpoints);
    b.keyPrefix = keyPrefix;
    b.historyLimit = historyLimit;
    b.requestTimeout = requestTimeout;
    b.leaseTtl = leaseTtl;
    b.replicaId = replicaId;
    b.maxConfigBytes = maxConfigBytes;
    b.clock = clock;
    b.tls = tls;
    b.user = user;
    b.password = password;
    return b;
  }

  public List<URI> endpoints() {
    return endpoints;
  }

  public String keyPrefix() {
    return keyPrefix;
  }

  public int historyLimit() {
    return historyLimit;
  }

  public Duration requestTimeout() {
    return requestTimeout;
  }

  public Duration leaseTtl() {
    return leaseTtl;
  }

  public String replicaId() {
    return replicaId;
  }

  public int maxConfigBytes() {
    return maxConfigBytes;
  }

  public Clock clock() {
    return clock;
  }

  /**
   * TLS to etcd (its {@code --trusted-ca-file} side: the CA that signed etcd's certificate, and a
   * client key pair when etcd runs with {@code --client-cert-auth}); empty: plaintext.
   */
  public java.util.Optional<io.mcp.core.TlsOptions> tls() {
    return java.util.Optional.ofNullable(tls);
  }

  /** The etcd user this store authenticates as (etcd's role-based auth); empty: none. */
  public java.util.Optional<String> user() {
    return java.util.Optional.ofNullable(user);
  }

  /** The password of {@link #user()}; never printed. */
  String password() {
    return password;
  }

  @Override
  public String toString() {
    return "EtcdStoreOptions{endpoints=" + endpoints + ", keyPrefix=" + keyPrefix + ", historyLimit=" + historyLimit
        + ", requestTimeout=" + requestTimeout + ", leaseTtl=" + leaseTtl + ", replicaId=" + replicaId
        + ", maxConfigBytes=" + maxConfigBytes + ", tls=" + (tls != null) + ", user=" + (user == null ? "none" : user)
        + "}";
  }

  /** Builds {@link EtcdStoreOptions}. Not thread-safe. */
  public static final class Builder {
    private final List<URI> endpoints = new ArrayList<>();
    private String keyPrefix = "/mcp/v1";
    private int historyLimit = 100;
    private Duration requestTimeout = Duration.ofSeconds(5);
    private Duration leaseTtl = Duration.ofSeconds(10);
    private String replicaId = UUID.randomUUID().toString();
    private int maxConfigBytes = DEFAULT_MAX_CONFIG_BYTES;
    private Clock clock = Clock.systemUTC();
    private io.mcp.core.TlsOptions tls;
    private String user;
    private String password;

    private Builder(List<URI> endpoints) {
      if (endpoints.isEmpty()) {
        throw new IllegalArgumentException("at least one etcd endpoint is needed");
      }
      for (URI endpoint : endpoints) {
        Objects.requireNonNull(endpoint, "endpoint");
        if (!"http".equals(endpoint.getScheme()) && !"https".equals(endpoint.getScheme())) {
          throw new IllegalArgumentException("etcd endpoint " + endpoint + " must be an http:// or https:// URL");
        }
        this.endpoints.add(endpoint);
      }
    }

    /** Starts with {@code /}, does not end with one, at most 200 characters, no {@code %}. */
    public Builder keyPrefix(String keyPrefix) {
      Objects.requireNonNull(keyPrefix, "keyPrefix");
      if (!keyPrefix.startsWith("/") || keyPrefix.endsWith("/") || keyPrefix.length() > 200
          || keyPrefix.contains("%")) {
        throw new IllegalArgumentException("keyPrefix '" + keyPrefix
            + "' must start with '/', not end with '/', hold no '%' and be at most 200 characters");
      }
      this.keyPrefix = keyPrefix;
      return this;
    }

    /** Versions kept per service, 1 to 1,000,000. */
    public Builder historyLimit(int historyLimit) {
      if (historyLimit < 1 || historyLimit > 1_000_000) {
        throw new IllegalArgumentException("historyLimit " + historyLimit + " outside 1..1000000");
      }
      this.historyLimit = historyLimit;
      return this;
    }

    /** From 10 ms to 10 minutes. */
    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = between("requestTimeout", requestTimeout, Duration.ofMillis(10), Duration.ofMinutes(10));
      return this;
    }

    /** Whole seconds from 1 s to 1 hour (etcd leases count in seconds). */
    public Builder leaseTtl(Duration leaseTtl) {
      between("leaseTtl", leaseTtl, Duration.ofSeconds(1), Duration.ofHours(1));
      if (leaseTtl.toNanosPart() != 0) {
        throw new IllegalArgumentException("leaseTtl " + leaseTtl + " must be whole seconds");
      }
      this.leaseTtl = leaseTtl;
      return this;
    }

    /** 1 to 128 characters. */
    public Builder replicaId(String replicaId) {
      Objects.requireNonNull(replicaId, "replicaId");
      if (replicaId.isEmpty() || replicaId.length() > 128) {
        throw new IllegalArgumentException("replicaId must be 1..128 characters, got " + replicaId.length());
      }
      this.replicaId = replicaId;
      return this;
    }

    /** 1 to 64 MiB; raise etcd's {@code --max-request-bytes} above it. */
    public Builder maxConfigBytes(int maxConfigBytes) {
      if (maxConfigBytes < 1 || maxConfigBytes > 64 << 20) {
        throw new IllegalArgumentException("maxConfigBytes " + maxConfigBytes + " outside 1.." + (64 << 20));
      }
      this.maxConfigBytes = maxConfigBytes;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Connects to etcd over TLS with {@code tls}: its trusted certificates verify etcd's certificate
     * (and its host name, unless turned off), its key pair, if any, is the client certificate for
     * etcd's {@code --client-cert-auth}. Every endpoint must then be an {@code https://} URL.
     */
    public Builder tls(io.mcp.core.TlsOptions tls) {
      this.tls = Objects.requireNonNull(tls, "tls");
      return this;
    }

    /** Authenticates to etcd as {@code user} (etcd's {@code auth enable}); use with {@link #tls}. */
    public Builder credentials(String user, String password) {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(password, "password");
      if (user.isEmpty()) {
        throw new IllegalArgumentException("etcd user must not be empty");
      }
      this.user = user;
      this.password = password;
      return this;
    }

    /**
     * The options.
     *
     * @throws IllegalArgumentException if an endpoint's scheme does not match the TLS setting
     */
    public EtcdStoreOptions build() {
      String scheme = tls != null ? "https" : "http";
      for (URI endpoint : endpoints) {
        if (!scheme.equals(endpoint.getScheme())) {
          throw new IllegalArgumentException("etcd endpoint " + endpoint + " must be an " + scheme + ":// URL "
              + (tls != null ? "when TLS is configured" : "without TLS (configure tls(...) for https)"));
        }
      }
      return new EtcdStoreOptions(this);
    }

    private static Duration between(String name, Duration value, Duration min, Duration max) {
      Objects.requireNonNull(value, name);
      if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
        throw new IllegalArgumentException(name + " " + value + " outside " + min + ".." + max);
      }
      return value;
    }
  }
}
