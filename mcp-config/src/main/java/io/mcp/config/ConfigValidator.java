package io.mcp.config;

import io.mcp.config.ConfigKeys.Key;
import io.mcp.core.TlsOptions;
import io.mcp.core.spi.AuthenticatorRegistry;
import io.mcp.core.spi.Registries;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Ranges and the rules between keys, every problem reported with key, value and source. */
final class ConfigValidator {
  /** A value and where it came from. */
  record Origin(String text, String source) {}

  static final int MIN_TOKEN_BYTES = 16;
  static final int MIN_HS256_SECRET_BYTES = 32;

  private final McpServerConfig config;
  private final Map<String, Origin> origins;
  private final String fallbackSource;
  private final List<ConfigProblem> problems;

  private ConfigValidator(McpServerConfig config, Map<String, Origin> origins, String fallbackSource,
      List<ConfigProblem> problems) {
    this.config = config;
    this.origins = origins;
    this.fallbackSource = fallbackSource;
    this.problems = problems;
  }

  /** Checks {@code config}; throws with every problem, those in {@code earlier} first. */
  static void check(McpServerConfig config, Map<String, Origin> origins, String fallbackSource,
      List<ConfigProblem> earlier) {
    List<ConfigProblem> problems = new ArrayList<>(earlier);
    new ConfigValidator(config, origins, fallbackSource, problems).run();
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }

  static void check(McpServerConfig config, Map<String, Origin> origins, String fallbackSource) {
    check(config, origins, fallbackSource, List.of());
  }

  private void run() {
    for (Key key : ConfigKeys.ALL) {
      Object value = key.get().apply(config);
      if (value == null) {
        continue;
      }
      if (key.ranged()) {
        boolean inRange = value instanceof Duration d
            ? d.compareTo(Duration.ofMillis(key.min())) >= 0 && d.compareTo(Duration.ofMillis(key.max())) <= 0
            : ((Number) value).longValue() >= key.min() && ((Number) value).longValue() <= key.max();
        if (!inRange) {
          problem(key.name(), "outside " + key.range());
        }
      } else if (value instanceof String s && s.isBlank()) {
        problem(key.name(), "must not be blank");
      }
    }
    TcpServerConfig server = config.server();
    if (server.minHeartbeatInterval().compareTo(server.maxHeartbeatInterval()) > 0) {
      problem("server.min-heartbeat-interval", "exceeds " + describe("server.max-heartbeat-interval"));
    }
    if (server.writeBufferLowWaterMark() > server.writeBufferHighWaterMark()) {
      problem("server.write-buffer-low-water-mark", "exceeds " + describe("server.write-buffer-high-water-mark"));
    }
    if (server.maxQueuedBytes() < (long) server.maxPayloadBytes() + 5) {
      problem("server.max-queued-bytes", "must hold one frame of " + describe("server.max-payload-bytes")
          + " plus its 5-byte header");
    }
    if (config.grpc().defaultDeadline().compareTo(config.grpc().maxDeadline()) > 0) {
      problem("grpc.default-deadline", "exceeds " + describe("grpc.max-deadline"));
    }
    ports();
    tls();
    store();
    auth();
  }

  private void ports() {
    List<String> listeners = new ArrayList<>();
    listeners.add("server");
    if (config.grpc().enabled()) {
      listeners.add("grpc");
    }
    if (config.http().enabled()) {
      listeners.add("http");
    }
    for (int i = 0; i < listeners.size(); i++) {
      for (int j = i + 1; j < listeners.size(); j++) {
        String a = listeners.get(i);
        String b = listeners.get(j);
        int portA = (Integer) ConfigKeys.BY_NAME.get(a + ".port").get().apply(config);
        int portB = (Integer) ConfigKeys.BY_NAME.get(b + ".port").get().apply(config);
        String hostA = (String) ConfigKeys.BY_NAME.get(a + ".host").get().apply(config);
        String hostB = (String) ConfigKeys.BY_NAME.get(b + ".host").get().apply(config);
        if (portA != 0 && portA == portB && (hostA.equals(hostB) || hostA.equals("0.0.0.0") || hostB.equals("0.0.0.0"))) {
          problem(b + ".port", "is the same as " + describe(a + ".port"));
        }
      }
    }
  }

  private void tls() {
    TlsConfig tls = config.tls();
    if (tls.certChain() == null) {
      if (tls.privateKey() != null) {
        problem("tls.private-key", "is set without tls.cert-chain");
      }
      if (tls.clientAuth() != TlsOptions.ClientAuthMode.NONE) {
        problem("tls.client-auth", "needs tls.cert-chain (TLS is off)");
      }
      return;
    }
    readable("tls.cert-chain", tls.certChain());
    if (tls.privateKey() == null) {
      problem("tls.cert-chain", "needs tls.private-key too");
    } else {
      readable("tls.private-key", tls.privateKey());
    }
    if (tls.trustedCertificates() != null) {
      readable("tls.trusted-certificates", tls.trustedCertificates());
    } else if (tls.clientAuth() != TlsOptions.ClientAuthMode.NONE) {
      problem("tls.client-auth", "needs tls.trusted-certificates to verify client certificates");
    }
  }

  private void readable(String key, Path path) {
    if (!Files.isRegularFile(path)) {
      problem(key, "is not a file");
    } else if (!Files.isReadable(path)) {
      problem(key, "is not readable");
    }
  }

  private void store() {
    List<String> names = Registries.storeNames();
    if (!names.contains(config.store().type())) {
      problem("store.type", "unknown store; available: " + String.join(", ", names));
    }
  }

  private void auth() {
    AuthConfig auth = config.auth();
    List<String> names = AuthenticatorRegistry.getDefault().names();
    if (!names.contains(auth.type())) {
      problem("auth.type", "unknown authenticator; available: " + String.join(", ", names));
      return;
    }
    switch (auth.type()) {
      case AuthConfig.STATIC_TOKEN -> {
        if (auth.agentToken() == null) {
          problem("auth.agent-token", "is required with auth.type static-token (env " + ConfigKeys.envName(
              "auth.agent-token") + ")");
        } else if (auth.agentToken().byteLength() < MIN_TOKEN_BYTES) {
          problem("auth.agent-token", "is " + auth.agentToken().byteLength() + " bytes; at least " + MIN_TOKEN_BYTES
              + " required");
        }
        if (auth.adminToken() != null) {
          if (auth.adminToken().byteLength() < MIN_TOKEN_BYTES) {
            problem("auth.admin-token", "is " + auth.adminToken().byteLength() + " bytes; at least "
                + MIN_TOKEN_BYTES + " required");
          } else if (auth.adminToken().equals(auth.agentToken())) {
            problem("auth.admin-token", "must differ from auth.agent-token");
          }
        }
      }
      case "jwt" -> {
        AuthConfig.Jwt jwt = auth.jwt();
        String algorithm = jwt.algorithm().toUpperCase(Locale.ROOT);
        if (algorithm.equals("HS256")) {
          if (jwt.secret() == null) {
            problem("auth.jwt.secret", "is required with auth.jwt.algorithm HS256");
          } else if (jwt.secret().byteLength() < MIN_HS256_SECRET_BYTES) {
            problem("auth.jwt.secret", "is " + jwt.secret().byteLength() + " bytes; HS256 needs at least "
                + MIN_HS256_SECRET_BYTES);
          }
        } else if (algorithm.equals("RS256")) {
          if (jwt.publicKeyFile() == null) {
            problem("auth.jwt.public-key-file", "is required with auth.jwt.algorithm RS256");
          } else {
            readable("auth.jwt.public-key-file", jwt.publicKeyFile());
          }
        } else {
          problem("auth.jwt.algorithm", "must be HS256 or RS256");
        }
      }
      default -> { }
    }
  }

  /** {@code server.port = 7400 (default)}. */
  private String describe(String key) {
    return key + " = " + display(key) + " (" + source(key) + ")";
  }

  private String display(String key) {
    Key k = ConfigKeys.BY_NAME.get(key);
    if (k.secret()) {
      return "***";
    }
    Origin origin = origins.get(key);
    return origin != null ? origin.text() : ConfigKeys.format(k, k.get().apply(config));
  }

  private String source(String key) {
    Origin origin = origins.get(key);
    return origin != null ? origin.source() : fallbackSource;
  }

  private void problem(String key, String message) {
    Key k = ConfigKeys.BY_NAME.get(key);
    Object value = k.get().apply(config);
    problems.add(new ConfigProblem(key, value == null ? null : display(key), source(key), message));
  }
}
