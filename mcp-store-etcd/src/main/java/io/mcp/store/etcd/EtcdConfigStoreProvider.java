package io.mcp.store.etcd;

import io.mcp.core.spi.ConfigStore;
import io.mcp.core.spi.ConfigStoreProvider;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code etcd} store provider. Settings: {@code endpoints} (required, comma-separated etcd
 * client URLs), {@code key-prefix}, {@code history-limit}, {@code request-timeout-ms}, {@code
 * lease-ttl-seconds}, {@code replica-id}, {@code max-config-bytes}; defaults as in {@link
 * EtcdStoreOptions}.
 */
public final class EtcdConfigStoreProvider implements ConfigStoreProvider {
  private static final Set<String> KNOWN = Set.of("endpoints", "key-prefix", "history-limit", "request-timeout-ms",
      "lease-ttl-seconds", "replica-id", "max-config-bytes", "tls-ca-file", "tls-cert-file", "tls-key-file", "user",
      "password-file");

  /** For {@link java.util.ServiceLoader}. */
  public EtcdConfigStoreProvider() {}

  @Override
  public String name() {
    return "etcd";
  }

  @Override
  public ConfigStore open(Map<String, String> settings) {
    return EtcdConfigStore.open(options(settings));
  }

  /** The options {@code settings} describe. */
  static EtcdStoreOptions options(Map<String, String> settings) {
    for (String key : settings.keySet()) {
      if (!KNOWN.contains(key)) {
        throw new IllegalArgumentException("unknown setting " + key + " (known: " + new TreeSet<>(KNOWN) + ")");
      }
    }
    String endpoints = settings.get("endpoints");
    if (endpoints == null || endpoints.isBlank()) {
      throw new IllegalArgumentException("setting endpoints is required: comma-separated etcd URLs such as "
          + "http://127.0.0.1:2379");
    }
    List<URI> uris = new ArrayList<>();
    for (String endpoint : endpoints.split(",")) {
      if (!endpoint.isBlank()) {
        try {
          uris.add(URI.create(endpoint.strip()));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("setting endpoints: '" + endpoint.strip() + "' is not a URL", e);
        }
      }
    }
    EtcdStoreOptions.Builder b = EtcdStoreOptions.builder(uris);
    if (settings.containsKey("key-prefix")) {
      b.keyPrefix(settings.get("key-prefix"));
    }
    if (settings.containsKey("history-limit")) {
      b.historyLimit((int) number(settings, "history-limit", 1, 1_000_000));
    }
    if (settings.containsKey("request-timeout-ms")) {
      b.requestTimeout(Duration.ofMillis(number(settings, "request-timeout-ms", 10, 600_000)));
    }
    if (settings.containsKey("lease-ttl-seconds")) {
      b.leaseTtl(Duration.ofSeconds(number(settings, "lease-ttl-seconds", 1, 3600)));
    }
    if (settings.containsKey("replica-id")) {
      b.replicaId(settings.get("replica-id"));
    }
    if (settings.containsKey("max-config-bytes")) {
      b.maxConfigBytes((int) number(settings, "max-config-bytes", 1, 64 << 20));
    }
    if (settings.containsKey("tls-ca-file")) {
      io.mcp.core.TlsOptions.Builder tls = io.mcp.core.TlsOptions.builder()
          .trustedCertificates(java.nio.file.Path.of(settings.get("tls-ca-file")));
      if (settings.containsKey("tls-cert-file") != settings.containsKey("tls-key-file")) {
        throw new IllegalArgumentException("settings tls-cert-file and tls-key-file go together (the client key pair)");
      }
      if (settings.containsKey("tls-cert-file")) {
        tls.keyPair(java.nio.file.Path.of(settings.get("tls-cert-file")), java.nio.file.Path.of(settings.get("tls-key-file")));
      }
      b.tls(tls.build());
    } else if (settings.containsKey("tls-cert-file") || settings.containsKey("tls-key-file")) {
      throw new IllegalArgumentException("settings tls-cert-file and tls-key-file need tls-ca-file (the CA of etcd's certificate)");
    }
    if (settings.containsKey("user") != settings.containsKey("password-file")) {
      throw new IllegalArgumentException("settings user and password-file go together (the password is read from the file)");
    }
    if (settings.containsKey("user")) {
      java.nio.file.Path file = java.nio.file.Path.of(settings.get("password-file"));
      String password;
      try {
        password = java.nio.file.Files.readString(file).strip();
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException("setting password-file: cannot read " + file + ": " + e.getMessage(), e);
      }
      b.credentials(settings.get("user"), password);
    }
    return b.build();
  }

  private static long number(Map<String, String> settings, String key, long min, long max) {
    String text = settings.get(key).strip();
    long value;
    try {
      value = Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("setting " + key + " '" + text + "' is not a whole number", e);
    }
    if (value < min || value > max) {
      throw new IllegalArgumentException("setting " + key + " " + value + " outside " + min + ".." + max);
    }
    return value;
  }
}
