package io.mcp.config;

import io.mcp.core.TlsOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every configuration key: its name, type, range and how it maps onto the records. The one place
 * that knows the keys: the loader binds with it, the validator checks ranges with it, and the test
 * holds docs/CONFIGURATION.md to it.
 */
final class ConfigKeys {
  /** Keys under these prefixes are free-form provider settings. */
  static final List<String> MAP_PREFIXES = List.of("store.options.", "auth.options.");
  static final List<String> SECTIONS = List.of("server", "grpc", "http", "tls", "store", "auth");

  enum Kind { STRING, OPTIONAL_STRING, INT, BYTES, LONG_BYTES, DURATION, OPTIONAL_DURATION, BOOLEAN, PATH, SECRET,
    CLIENT_AUTH }

  /** A key; {@code min}/{@code max} are longs for numbers and milliseconds for durations. */
  record Key(String name, Kind kind, long min, long max, String description,
      Function<McpServerConfig, Object> get, BiConsumer<Draft, Object> set) {
    boolean secret() {
      return kind == Kind.SECRET;
    }

    boolean ranged() {
      return kind == Kind.INT || kind == Kind.BYTES || kind == Kind.LONG_BYTES || kind == Kind.DURATION
          || kind == Kind.OPTIONAL_DURATION;
    }

    String range() {
      return switch (kind) {
        case INT -> min + ".." + max;
        case BYTES, LONG_BYTES -> formatBytes(min) + ".." + formatBytes(max);
        case DURATION, OPTIONAL_DURATION -> formatDuration(Duration.ofMillis(min)) + ".."
            + formatDuration(Duration.ofMillis(max));
        case BOOLEAN -> "true or false";
        case CLIENT_AUTH -> "none, optional or require";
        default -> "";
      };
    }

    /** {@code MCP_SERVER__MAX_PAYLOAD_BYTES} for {@code server.max-payload-bytes}. */
    String envName() {
      return ConfigKeys.envName(name);
    }

    /** {@code mcp.server.max-payload-bytes}. */
    String propertyName() {
      return "mcp." + name;
    }
  }

  /** The builders the loader fills. */
  static final class Draft {
    final TcpServerConfig.Builder server = TcpServerConfig.builder();
    final GrpcConfig.Builder grpc = GrpcConfig.builder();
    final HttpConfig.Builder http = HttpConfig.builder();
    final TlsConfig.Builder tls = TlsConfig.builder();
    final StoreConfig.Builder store = StoreConfig.builder();
    final AuthConfig.Builder auth = AuthConfig.builder();
    String jwtAlgorithm = AuthConfig.Jwt.defaults().algorithm();
    Secret jwtSecret;
    Path jwtPublicKeyFile;
    String jwtIssuer;
    String jwtAudience;
    Duration jwtClockSkew = AuthConfig.Jwt.defaults().clockSkew();

    McpServerConfig build() {
      auth.jwt(new AuthConfig.Jwt(jwtAlgorithm, jwtSecret, jwtPublicKeyFile, jwtIssuer, jwtAudience, jwtClockSkew));
      return McpServerConfig.builder().server(server.build()).grpc(grpc.build()).http(http.build()).tls(tls.build())
          .store(store.build()).auth(auth.build()).build();
    }
  }

  static final long MAX_INT = Integer.MAX_VALUE;
  static final long MAX_PAYLOAD = io.mcp.codec.CodecOptions.MAX_MAX_PAYLOAD_BYTES;
  static final long HOUR = Duration.ofHours(1).toMillis();
  static final long DAY = Duration.ofDays(1).toMillis();
  static final long YEAR = Duration.ofDays(365).toMillis();

  static final List<Key> ALL;
  static final Map<String, Key> BY_NAME;

  static {
    List<Key> k = new ArrayList<>();
    // server
    k.add(key("server.host", Kind.STRING, 0, 0, "Address the MCP/1 TCP server binds; 0.0.0.0 for every interface.",
        c -> c.server().host(), (d, v) -> d.server.host((String) v)));
    k.add(key("server.port", Kind.INT, 0, 65535, "MCP/1 TCP port; 0 picks a free one.",
        c -> c.server().port(), (d, v) -> d.server.port((Integer) v)));
    k.add(key("server.server-id", Kind.OPTIONAL_STRING, 0, 0, "Id announced in Welcome; default a random one.",
        c -> c.server().serverId(), (d, v) -> d.server.serverId((String) v)));
    k.add(key("server.handshake-timeout", Kind.DURATION, 1, HOUR, "Accept to Hello, TLS included.",
        c -> c.server().handshakeTimeout(), (d, v) -> d.server.handshakeTimeout((Duration) v)));
    k.add(key("server.heartbeat-interval", Kind.DURATION, 100, HOUR, "Heartbeat given to clients that ask for 0.",
        c -> c.server().heartbeatInterval(), (d, v) -> d.server.heartbeatInterval((Duration) v)));
    k.add(key("server.min-heartbeat-interval", Kind.DURATION, 100, HOUR, "Lower bound of the agreed heartbeat.",
        c -> c.server().minHeartbeatInterval(), (d, v) -> d.server.minHeartbeatInterval((Duration) v)));
    k.add(key("server.max-heartbeat-interval", Kind.DURATION, 100, HOUR, "Upper bound of the agreed heartbeat.",
        c -> c.server().maxHeartbeatInterval(), (d, v) -> d.server.maxHeartbeatInterval((Duration) v)));
    k.add(key("server.idle-timeout", Kind.OPTIONAL_DURATION, 100, DAY,
        "Close a silent session after this; default 3 x the agreed heartbeat.",
        c -> c.server().idleTimeout(), (d, v) -> d.server.idleTimeout((Duration) v)));
    k.add(key("server.max-payload-bytes", Kind.BYTES, 0, MAX_PAYLOAD, "Largest frame payload after the handshake.",
        c -> c.server().maxPayloadBytes(), (d, v) -> d.server.maxPayloadBytes((Integer) v)));
    k.add(key("server.max-handshake-payload-bytes", Kind.BYTES, 0, MAX_PAYLOAD,
        "Largest frame payload before the handshake completes.",
        c -> c.server().maxHandshakePayloadBytes(), (d, v) -> d.server.maxHandshakePayloadBytes((Integer) v)));
    k.add(key("server.max-connections", Kind.INT, 1, MAX_INT, "Sessions open at once; more are refused.",
        c -> c.server().maxConnections(), (d, v) -> d.server.maxConnections((Integer) v)));
    k.add(key("server.max-pending-handshakes", Kind.INT, 1, MAX_INT, "Connections in their handshake at once.",
        c -> c.server().maxPendingHandshakes(), (d, v) -> d.server.maxPendingHandshakes((Integer) v)));
    k.add(key("server.max-in-flight-requests", Kind.INT, 1, MAX_INT, "Requests a session executes at once.",
        c -> c.server().maxInFlightRequests(), (d, v) -> d.server.maxInFlightRequests((Integer) v)));
    k.add(key("server.max-outstanding-requests", Kind.INT, 1, MAX_INT, "Requests a session may wait on at once.",
        c -> c.server().maxOutstandingRequests(), (d, v) -> d.server.maxOutstandingRequests((Integer) v)));
    k.add(key("server.max-queued-bytes", Kind.LONG_BYTES, 1, Long.MAX_VALUE,
        "Outbound budget per session; at least max-payload-bytes + 5.",
        c -> c.server().maxQueuedBytes(), (d, v) -> d.server.maxQueuedBytes((Long) v)));
    k.add(key("server.write-buffer-low-water-mark", Kind.BYTES, 1, MAX_INT, "Netty low water mark.",
        c -> c.server().writeBufferLowWaterMark(), (d, v) -> d.server.writeBufferLowWaterMark((Integer) v)));
    k.add(key("server.write-buffer-high-water-mark", Kind.BYTES, 1, MAX_INT,
        "Netty high water mark; at least the low one.",
        c -> c.server().writeBufferHighWaterMark(), (d, v) -> d.server.writeBufferHighWaterMark((Integer) v)));
    k.add(key("server.write-deadline", Kind.DURATION, 1, HOUR,
        "A session unwritable this long is closed with SLOW_CONSUMER.",
        c -> c.server().writeDeadline(), (d, v) -> d.server.writeDeadline((Duration) v)));
    k.add(key("server.close-drain-timeout", Kind.DURATION, 1, HOUR, "How long a closing side keeps reading.",
        c -> c.server().closeDrainTimeout(), (d, v) -> d.server.closeDrainTimeout((Duration) v)));
    k.add(key("server.io-threads", Kind.INT, 0, 1024, "Event loop threads (shared with gRPC); 0: 2 x cores.",
        c -> c.server().ioThreads(), (d, v) -> d.server.ioThreads((Integer) v)));
    // grpc
    k.add(key("grpc.enabled", Kind.BOOLEAN, 0, 0, "Start the gRPC server.",
        c -> c.grpc().enabled(), (d, v) -> d.grpc.enabled((Boolean) v)));
    k.add(key("grpc.host", Kind.STRING, 0, 0, "Address the gRPC server binds.",
        c -> c.grpc().host(), (d, v) -> d.grpc.host((String) v)));
    k.add(key("grpc.port", Kind.INT, 0, 65535, "gRPC port (mcpctl's default target); 0 picks a free one.",
        c -> c.grpc().port(), (d, v) -> d.grpc.port((Integer) v)));
    k.add(key("grpc.default-deadline", Kind.DURATION, 1, DAY, "Deadline of calls that carry none.",
        c -> c.grpc().defaultDeadline(), (d, v) -> d.grpc.defaultDeadline((Duration) v)));
    k.add(key("grpc.max-deadline", Kind.DURATION, 1, DAY, "Longer deadlines are shortened to this.",
        c -> c.grpc().maxDeadline(), (d, v) -> d.grpc.maxDeadline((Duration) v)));
    k.add(key("grpc.permit-keepalive-time", Kind.DURATION, 1, DAY, "Most frequent client keepalive ping allowed.",
        c -> c.grpc().permitKeepAliveTime(), (d, v) -> d.grpc.permitKeepAliveTime((Duration) v)));
    k.add(key("grpc.max-connection-idle", Kind.DURATION, 1, YEAR, "Idle connections are closed after this.",
        c -> c.grpc().maxConnectionIdle(), (d, v) -> d.grpc.maxConnectionIdle((Duration) v)));
    k.add(key("grpc.max-connection-age", Kind.DURATION, 1, YEAR, "Connections are closed gracefully after this.",
        c -> c.grpc().maxConnectionAge(), (d, v) -> d.grpc.maxConnectionAge((Duration) v)));
    k.add(key("grpc.max-connection-age-grace", Kind.DURATION, 1, YEAR, "Time given to calls in flight at max age.",
        c -> c.grpc().maxConnectionAgeGrace(), (d, v) -> d.grpc.maxConnectionAgeGrace((Duration) v)));
    k.add(key("grpc.max-inbound-message-bytes", Kind.BYTES, 1, MAX_INT, "Largest request message.",
        c -> c.grpc().maxInboundMessageBytes(), (d, v) -> d.grpc.maxInboundMessageBytes((Integer) v)));
    k.add(key("grpc.max-concurrent-calls-per-connection", Kind.INT, 1, MAX_INT, "Calls at once on one connection.",
        c -> c.grpc().maxConcurrentCallsPerConnection(),
        (d, v) -> d.grpc.maxConcurrentCallsPerConnection((Integer) v)));
    k.add(key("grpc.handshake-timeout", Kind.DURATION, 1, HOUR, "TLS and HTTP/2 handshake limit.",
        c -> c.grpc().handshakeTimeout(), (d, v) -> d.grpc.handshakeTimeout((Duration) v)));
    // http
    k.add(key("http.enabled", Kind.BOOLEAN, 0, 0, "Start the HTTP/JSON gateway and web console.",
        c -> c.http().enabled(), (d, v) -> d.http.enabled((Boolean) v)));
    k.add(key("http.host", Kind.STRING, 0, 0, "Address the HTTP gateway binds.",
        c -> c.http().host(), (d, v) -> d.http.host((String) v)));
    k.add(key("http.port", Kind.INT, 0, 65535, "HTTP port; 0 picks a free one.",
        c -> c.http().port(), (d, v) -> d.http.port((Integer) v)));
    k.add(key("http.max-body-bytes", Kind.BYTES, 1, MAX_INT, "Largest request body (413 above).",
        c -> c.http().maxBodyBytes(), (d, v) -> d.http.maxBodyBytes((Integer) v)));
    k.add(key("http.max-header-bytes", Kind.BYTES, 256, 1024 * 1024, "Largest request head (431 above).",
        c -> c.http().maxHeaderBytes(), (d, v) -> d.http.maxHeaderBytes((Integer) v)));
    k.add(key("http.request-timeout", Kind.DURATION, 1, HOUR, "Longest time a request may take.",
        c -> c.http().requestTimeout(), (d, v) -> d.http.requestTimeout((Duration) v)));
    // tls
    k.add(key("tls.cert-chain", Kind.PATH, 0, 0, "Server certificate chain (PEM); setting it turns TLS on.",
        c -> c.tls().certChain(), (d, v) -> d.tls.certChain((Path) v)));
    k.add(key("tls.private-key", Kind.PATH, 0, 0, "Server private key (PKCS#8 PEM); required with cert-chain.",
        c -> c.tls().privateKey(), (d, v) -> d.tls.privateKey((Path) v)));
    k.add(key("tls.trusted-certificates", Kind.PATH, 0, 0, "CA certificates client certificates must chain to.",
        c -> c.tls().trustedCertificates(), (d, v) -> d.tls.trustedCertificates((Path) v)));
    k.add(key("tls.client-auth", Kind.CLIENT_AUTH, 0, 0,
        "none, optional or require (mutual TLS; needs trusted-certificates).",
        c -> c.tls().clientAuth(), (d, v) -> d.tls.clientAuth((TlsOptions.ClientAuthMode) v)));
    // store
    k.add(key("store.type", Kind.STRING, 0, 0, "Store provider: sqlite, memory, etcd or a plugin's.",
        c -> c.store().type(), (d, v) -> d.store.type((String) v)));
    k.add(key("store.data-dir", Kind.PATH, 0, 0, "Directory of a store that keeps files (sqlite: controller.db).",
        c -> c.store().dataDir(), (d, v) -> d.store.dataDir((Path) v)));
    // auth
    k.add(key("auth.type", Kind.STRING, 0, 0, "Authenticator: static-token, jwt, mtls, allow-all or a plugin's.",
        c -> c.auth().type(), (d, v) -> d.auth.type((String) v)));
    k.add(key("auth.agent-token", Kind.SECRET, 0, 0, "Agents' shared token (static-token), at least 16 bytes.",
        c -> c.auth().agentToken(), (d, v) -> d.auth.agentToken((Secret) v)));
    k.add(key("auth.admin-token", Kind.SECRET, 0, 0,
        "Operators' token (static-token): role admin, may apply and roll back.",
        c -> c.auth().adminToken(), (d, v) -> d.auth.adminToken((Secret) v)));
    k.add(key("auth.jwt.algorithm", Kind.STRING, 0, 0, "HS256 or RS256.",
        c -> c.auth().jwt().algorithm(), (d, v) -> d.jwtAlgorithm = (String) v));
    k.add(key("auth.jwt.secret", Kind.SECRET, 0, 0, "HS256 shared secret, at least 32 bytes.",
        c -> c.auth().jwt().secret(), (d, v) -> d.jwtSecret = (Secret) v));
    k.add(key("auth.jwt.public-key-file", Kind.PATH, 0, 0, "RS256 public key or certificate (PEM).",
        c -> c.auth().jwt().publicKeyFile(), (d, v) -> d.jwtPublicKeyFile = (Path) v));
    k.add(key("auth.jwt.issuer", Kind.OPTIONAL_STRING, 0, 0, "Required iss claim; default any.",
        c -> c.auth().jwt().issuer(), (d, v) -> d.jwtIssuer = (String) v));
    k.add(key("auth.jwt.audience", Kind.OPTIONAL_STRING, 0, 0, "Required aud claim; default any.",
        c -> c.auth().jwt().audience(), (d, v) -> d.jwtAudience = (String) v));
    k.add(key("auth.jwt.clock-skew", Kind.DURATION, 0, HOUR, "Tolerance on exp and nbf.",
        c -> c.auth().jwt().clockSkew(), (d, v) -> d.jwtClockSkew = (Duration) v));
    ALL = Collections.unmodifiableList(k);
    Map<String, Key> byName = new LinkedHashMap<>();
    for (Key key : k) {
      byName.put(key.name(), key);
    }
    BY_NAME = Collections.unmodifiableMap(byName);
  }

  private ConfigKeys() {}

  private static Key key(String name, Kind kind, long min, long max, String description,
      Function<McpServerConfig, Object> get, BiConsumer<Draft, Object> set) {
    return new Key(name, kind, min, max, description, get, set);
  }

  static String envName(String key) {
    return "MCP_" + key.toUpperCase(Locale.ROOT).replace(".", "__").replace('-', '_');
  }

  // ------------------------------------------------------------------ parsing and formatting

  private static final Pattern DURATION = Pattern.compile("(\\d{1,18})\\s*(ms|s|m|h|d)");
  private static final Pattern BYTES = Pattern.compile("(\\d{1,19})\\s*(B|KiB|MiB|GiB)?");

  /** Thrown by {@link #parse} with the reason; the caller adds key, value and source. */
  static final class ParseException extends Exception {
    private static final long serialVersionUID = 1L;

    ParseException(String message) {
      super(message, null, false, false);
    }
  }

  static Object parse(Key key, String text) throws ParseException {
    String t = text.strip();
    switch (key.kind()) {
      case STRING, OPTIONAL_STRING -> {
        if (t.isEmpty()) {
          throw new ParseException("must not be blank");
        }
        return t;
      }
      case SECRET -> {
        if (text.isEmpty()) {
          throw new ParseException("must not be empty");
        }
        return Secret.of(text);
      }
      case PATH -> {
        if (t.isEmpty()) {
          throw new ParseException("must not be blank");
        }
        try {
          return Path.of(t);
        } catch (java.nio.file.InvalidPathException e) {
          throw new ParseException("is not a valid path: " + e.getReason());
        }
      }
      case BOOLEAN -> {
        if (t.equals("true") || t.equals("false")) {
          return Boolean.valueOf(t);
        }
        throw new ParseException("must be true or false");
      }
      case CLIENT_AUTH -> {
        return switch (t.toLowerCase(Locale.ROOT)) {
          case "none" -> TlsOptions.ClientAuthMode.NONE;
          case "optional" -> TlsOptions.ClientAuthMode.OPTIONAL;
          case "require" -> TlsOptions.ClientAuthMode.REQUIRE;
          default -> throw new ParseException("must be none, optional or require");
        };
      }
      case INT -> {
        long value = wholeNumber(t.replace("_", ""), "a whole number like 7400");
        return (int) inRange(key, value);
      }
      case BYTES, LONG_BYTES -> {
        Matcher m = BYTES.matcher(t.replace("_", ""));
        if (!m.matches()) {
          throw new ParseException("is not a byte count; write it like 65536, 64KiB, 4MiB or 1GiB");
        }
        long number = wholeNumber(m.group(1), "a byte count");
        long unit = m.group(2) == null ? 1 : switch (m.group(2)) {
          case "KiB" -> 1024L;
          case "MiB" -> 1024L * 1024;
          case "GiB" -> 1024L * 1024 * 1024;
          default -> 1L;
        };
        if (number > Long.MAX_VALUE / unit) {
          throw new ParseException("outside " + key.range());
        }
        long value = inRange(key, number * unit);
        return key.kind() == Kind.BYTES ? (Object) (int) value : (Object) value;
      }
      case DURATION, OPTIONAL_DURATION -> {
        Duration value = duration(t);
        if (value.compareTo(Duration.ofMillis(key.min())) < 0 || value.compareTo(Duration.ofMillis(key.max())) > 0) {
          throw new ParseException("outside " + key.range());
        }
        return value;
      }
      default -> throw new AssertionError(key.kind());
    }
  }

  private static long wholeNumber(String t, String expected) throws ParseException {
    try {
      return Long.parseLong(t);
    } catch (NumberFormatException e) {
      throw new ParseException("is not " + expected);
    }
  }

  private static long inRange(Key key, long value) throws ParseException {
    if (value < key.min() || value > key.max()) {
      throw new ParseException("outside " + key.range());
    }
    return value;
  }

  static Duration duration(String t) throws ParseException {
    Matcher m = DURATION.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      try {
        return switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        };
      } catch (ArithmeticException e) {
        throw new ParseException("is too long a duration");
      }
    }
    if (t.startsWith("P") || t.startsWith("p")) {
      try {
        Duration d = Duration.parse(t);
        if (!d.isNegative()) {
          return d;
        }
      } catch (DateTimeParseException e) {
        // reported below
      }
    }
    throw new ParseException("is not a duration; write it like 500ms, 10s, 5m, 2h, 1d or PT10S");
  }

  /** A value as it would be written in a file: {@code 10s}, {@code 4MiB}, {@code ***}. */
  static String format(Key key, Object value) {
    if (value == null) {
      return "(none)";
    }
    return switch (key.kind()) {
      case SECRET -> "***";
      case BYTES, LONG_BYTES -> formatBytes(((Number) value).longValue());
      case DURATION, OPTIONAL_DURATION -> formatDuration((Duration) value);
      case CLIENT_AUTH -> value.toString().toLowerCase(Locale.ROOT);
      default -> value.toString();
    };
  }

  static String formatBytes(long bytes) {
    if (bytes >= 1024L * 1024 * 1024 && bytes % (1024L * 1024 * 1024) == 0) {
      return bytes / (1024L * 1024 * 1024) + "GiB";
    }
    if (bytes >= 1024L * 1024 && bytes % (1024L * 1024) == 0) {
      return bytes / (1024L * 1024) + "MiB";
    }
    if (bytes >= 1024 && bytes % 1024 == 0) {
      return bytes / 1024 + "KiB";
    }
    return Long.toString(bytes);
  }

  static String formatDuration(Duration d) {
    long ms = d.toMillis();
    if (ms != 0 && ms % DAY == 0) {
      return ms / DAY + "d";
    }
    if (ms != 0 && ms % HOUR == 0) {
      return ms / HOUR + "h";
    }
    if (ms != 0 && ms % 60_000 == 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }

  /** The closest known key, or {@code null} when none is close. */
  static String suggest(String unknown) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    String last = unknown.substring(unknown.lastIndexOf('.') + 1);
    for (String candidate : BY_NAME.keySet()) {
      int distance = distance(unknown, candidate);
      if ((candidate.endsWith("." + last) || candidate.startsWith(unknown + "-")) && !candidate.equals(unknown)) {
        distance = Math.min(distance, 2);
      }
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    return bestDistance <= 3 ? best : null;
  }

  private static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
