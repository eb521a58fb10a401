package io.mcp.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.core.Identity;
import io.mcp.core.TlsOptions;
import io.mcp.core.spi.AuthenticationException;
import io.mcp.core.spi.AuthenticationRequest;
import io.mcp.core.spi.Authenticator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The layers, their precedence, binding and every kind of validation error. */
class ConfigLoaderTest {
  static final String AGENT_TOKEN = "agent-token-0123456789";
  static final String ADMIN_TOKEN = "admin-token-0123456789";

  @TempDir Path dir;

  ConfigLoader loader() {
    return ConfigLoader.create().environment(Map.of("MCP_AUTH__AGENT_TOKEN", AGENT_TOKEN))
        .systemProperties(Map.of());
  }

  Path write(String name, String text) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }

  static List<String> problems(ConfigLoader loader) {
    try {
      loader.load();
    } catch (ConfigException e) {
      return e.problems().stream().map(ConfigProblem::toString).toList();
    }
    throw new AssertionError("expected a ConfigException");
  }

  @Test
  void defaults_equalTheRecordsDefaults_apartFromTheRequiredToken() {
    McpServerConfig loaded = loader().load();
    assertThat(loaded).isEqualTo(McpServerConfig.defaults().toBuilder()
        .auth(AuthConfig.builder().agentToken(Secret.of(AGENT_TOKEN)).build()).build());
    assertThat(loaded.server().port()).isEqualTo(7400);
    assertThat(loaded.grpc().port()).isEqualTo(7401);
    assertThat(loaded.http().port()).isEqualTo(7402);
    assertThat(loaded.http().maxBodyBytes()).isEqualTo(4 * 1024 * 1024);
    assertThat(loaded.http().maxHeaderBytes()).isEqualTo(8 * 1024);
    assertThat(loaded.store().type()).isEqualTo("sqlite");
  }

  @Test
  void yamlFile_bindsEverySection() throws IOException {
    Path file = write("mcp.yaml", """
        server:
          host: 0.0.0.0
          port: 7500
          handshake-timeout: 3s
          idle-timeout: 45s
          max-payload-bytes: 1MiB
          max-queued-bytes: 16MiB
        grpc:
          port: 7501
          default-deadline: 10s
          max-deadline: PT2M
        http:
          enabled: false
          max-body-bytes: 65536
        store:
          type: memory
          options:
            history-limit: 5
        auth:
          agent-token: from-file-0123456789
          admin-token: admin-file-0123456789
        """);
    McpServerConfig config = loader().environment(Map.of()).file(file).load();
    assertThat(config.server().host()).isEqualTo("0.0.0.0");
    assertThat(config.server().port()).isEqualTo(7500);
    assertThat(config.server().handshakeTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(config.server().idleTimeout()).isEqualTo(Duration.ofSeconds(45));
    assertThat(config.server().maxPayloadBytes()).isEqualTo(1024 * 1024);
    assertThat(config.server().maxQueuedBytes()).isEqualTo(16L * 1024 * 1024);
    assertThat(config.grpc().port()).isEqualTo(7501);
    assertThat(config.grpc().maxDeadline()).isEqualTo(Duration.ofMinutes(2));
    assertThat(config.http().enabled()).isFalse();
    assertThat(config.http().maxBodyBytes()).isEqualTo(65536);
    assertThat(config.store().type()).isEqualTo("memory");
    assertThat(config.store().settings()).isEqualTo(Map.of("history-limit", "5"));
    assertThat(config.auth().agentToken()).isEqualTo(Secret.of("from-file-0123456789"));
    assertThat(config.auth().adminToken().reveal()).isEqualTo("admin-file-0123456789");
    // the server options carry the values
    assertThat(config.server().toServerOptions(config.auth().authenticator(), null).build().idleTimeout())
        .isEqualTo(Duration.ofSeconds(45));
  }

  @Test
  void jsonFile_bindsToo() throws IOException {
    Path file = write("mcp.json", "{\"server\": {\"port\": 7600}, \"grpc\": {\"enabled\": false}}");
    McpServerConfig config = loader().file(file).load();
    assertThat(config.server().port()).isEqualTo(7600);
    assertThat(config.grpc().enabled()).isFalse();
  }

  @Test
  void precedence_defaultsThenFileThenEnvThenSystemPropertiesThenOverrides() throws IOException {
    Path file = write("mcp.yaml", "server:\n  port: 1001\n  host: 10.0.0.1\ngrpc:\n  port: 2001\nhttp:\n  port: 3001\n");
    Map<String, String> env = Map.of("MCP_AUTH__AGENT_TOKEN", AGENT_TOKEN, "MCP_SERVER__PORT", "1002",
        "MCP_GRPC__PORT", "2002");
    Map<String, String> props = Map.of("mcp.server.port", "1003");
    ConfigLoader loader = ConfigLoader.create().file(file).environment(env).systemProperties(props);
    McpServerConfig config = loader.load();
    assertThat(config.server().host()).isEqualTo("10.0.0.1"); // file over default
    assertThat(config.http().port()).isEqualTo(3001);         // file
    assertThat(config.grpc().port()).isEqualTo(2002);         // env over file
    assertThat(config.server().port()).isEqualTo(1003);       // system property over env
    assertThat(loader.set("server.port", "1004", "flag --mcp-port").load().server().port()).isEqualTo(1004);
  }

  @Test
  void envMapping_doubleUnderscoreNestsAndSingleBecomesDash_otherMcpVariablesIgnored() {
    assertThat(ConfigLoader.keyOfEnv("MCP_SERVER__MAX_PAYLOAD_BYTES")).isEqualTo("server.max-payload-bytes");
    assertThat(ConfigLoader.keyOfEnv("MCP_AUTH__JWT__CLOCK_SKEW")).isEqualTo("auth.jwt.clock-skew");
    McpServerConfig config = ConfigLoader.create().systemProperties(Map.of("mcp.debug", "x", "other.server.port", "1"))
        .environment(Map.of("MCP_AUTH__AGENT_TOKEN", AGENT_TOKEN, "MCP_TOKEN", "x", "MCP_TARGET", "h:1",
            "MCP_SERVER__MAX_PAYLOAD_BYTES", "2MiB", "MCP_STORE__OPTIONS__HISTORY_LIMIT", "7",
            "MCP_SERVER__IDLE_TIMEOUT", ""))
        .load();
    assertThat(config.server().maxPayloadBytes()).isEqualTo(2 * 1024 * 1024);
    assertThat(config.server().idleTimeout()).isNull();
    assertThat(config.store().options()).isEqualTo(Map.of("history-limit", "7"));
  }

  @Test
  void outOfRange_namesKeyValueFileLineColumnAndRange() throws IOException {
    Path file = write("bad.yaml", "server:\n  port: 70000\n  handshake-timeout: 0ms\n");
    assertThat(problems(loader().file(file))).containsExactly(
        "server.port = 70000 (" + file + ":2:9): outside 0..65535",
        "server.handshake-timeout = 0ms (" + file + ":3:22): outside 1ms..1h");
  }

  @Test
  void jsonErrors_carryLineAndColumnToo() throws IOException {
    Path file = write("bad.json", "{\n  \"grpc\": {\n    \"port\": -1\n  }\n}\n");
    assertThat(problems(loader().file(file))).containsExactly("grpc.port = -1 (" + file + ":3:13): outside 0..65535");
  }

  @Test
  void badFormats_eachNamedWithWhatIsAllowed() {
    List<String> problems = problems(loader().systemProperties(Map.of(
        "mcp.server.port", "seventy",
        "mcp.server.write-deadline", "30 seconds",
        "mcp.server.max-payload-bytes", "4MB",
        "mcp.grpc.enabled", "yes",
        "mcp.tls.client-auth", "always",
        "mcp.server.max-connections", "0")));
    assertThat(problems).containsExactlyInAnyOrder(
        "server.port = seventy (system property mcp.server.port): is not a whole number like 7400",
        "server.write-deadline = 30 seconds (system property mcp.server.write-deadline): is not a duration;"
            + " write it like 500ms, 10s, 5m, 2h, 1d or PT10S",
        "server.max-payload-bytes = 4MB (system property mcp.server.max-payload-bytes): is not a byte count;"
            + " write it like 65536, 64KiB, 4MiB or 1GiB",
        "grpc.enabled = yes (system property mcp.grpc.enabled): must be true or false",
        "tls.client-auth = always (system property mcp.tls.client-auth): must be none, optional or require",
        "server.max-connections = 0 (system property mcp.server.max-connections): outside 1..2147483647");
  }

  @Test
  void unknownKeys_rejectedWithSourceAndClosestKnownKey() throws IOException {
    Path file = write("typo.yaml", "server:\n  prot: 1\nservr:\n  port: 2\nwhatever: 3\n");
    List<String> problems = problems(loader().file(file)
        .environment(Map.of("MCP_AUTH__AGENT_TOKEN", AGENT_TOKEN, "MCP_GRPC__DEFAULT_DEADLIN", "1s"))
        .systemProperties(Map.of("mcp.http.max-body", "1")));
    assertThat(problems).containsExactly(
        "server.prot (" + file + ":2:9): unknown key; did you mean server.port?",
        "servr.port (" + file + ":4:9): unknown key; did you mean server.port?",
        "whatever (" + file + ":5:11): unknown key",
        "grpc.default-deadlin (env MCP_GRPC__DEFAULT_DEADLIN): unknown key; did you mean grpc.default-deadline?",
        "http.max-body (system property mcp.http.max-body): unknown key; did you mean http.max-body-bytes?");
  }

  @Test
  void crossKeyRules_nameBothKeysAndSources() {
    List<String> problems = problems(loader().systemProperties(Map.of(
        "mcp.server.min-heartbeat-interval", "2m",
        "mcp.grpc.default-deadline", "10m",
        "mcp.server.write-buffer-low-water-mark", "2MiB",
        "mcp.grpc.port", "7400",
        "mcp.server.max-queued-bytes", "1KiB")));
    assertThat(problems).containsExactly(
        "server.min-heartbeat-interval = 2m (system property mcp.server.min-heartbeat-interval): exceeds"
            + " server.max-heartbeat-interval = 1m (default)",
        "server.write-buffer-low-water-mark = 2MiB (system property mcp.server.write-buffer-low-water-mark): exceeds"
            + " server.write-buffer-high-water-mark = 1MiB (default)",
        "server.max-queued-bytes = 1KiB (system property mcp.server.max-queued-bytes): must hold one frame of"
            + " server.max-payload-bytes = 4MiB (default) plus its 5-byte header",
        "grpc.default-deadline = 10m (system property mcp.grpc.default-deadline): exceeds grpc.max-deadline = 5m (default)",
        "grpc.port = 7400 (system property mcp.grpc.port): is the same as server.port = 7400 (default)");
  }

  @Test
  void tlsRules() throws IOException {
    Path cert = write("cert.pem", "x");
    assertThat(problems(loader().systemProperties(Map.of("mcp.tls.cert-chain", cert.toString(),
        "mcp.tls.client-auth", "require")))).containsExactly(
        "tls.cert-chain = " + cert + " (system property mcp.tls.cert-chain): needs tls.private-key too",
        "tls.client-auth = require (system property mcp.tls.client-auth): needs tls.trusted-certificates to"
            + " verify client certificates");
    assertThat(problems(loader().systemProperties(Map.of("mcp.tls.cert-chain", cert.toString(),
        "mcp.tls.private-key", dir.resolve("missing.pem").toString())))).containsExactly(
        "tls.private-key = " + dir.resolve("missing.pem") + " (system property mcp.tls.private-key): is not a file");
    assertThat(problems(loader().systemProperties(Map.of("mcp.tls.private-key", cert.toString())))).containsExactly(
        "tls.private-key = " + cert + " (system property mcp.tls.private-key): is set without tls.cert-chain");
    TlsConfig tls = loader().systemProperties(Map.of("mcp.tls.cert-chain", cert.toString(),
        "mcp.tls.private-key", cert.toString())).load().tls();
    assertThat(tls.enabled()).isTrue();
    assertThat(tls.clientAuth()).isEqualTo(TlsOptions.ClientAuthMode.NONE);
  }

  @Test
  void secrets_neverInErrorsNorToString() {
    List<String> problems = problems(ConfigLoader.create().systemProperties(Map.of())
        .environment(Map.of("MCP_AUTH__AGENT_TOKEN", "short-secret", "MCP_AUTH__ADMIN_TOKEN", "short-admin")));
    assertThat(problems).containsExactly(
        "auth.agent-token = *** (env MCP_AUTH__AGENT_TOKEN): is 12 bytes; at least 16 required",
        "auth.admin-token = *** (env MCP_AUTH__ADMIN_TOKEN): is 11 bytes; at least 16 required");
    assertThat(String.join("\n", problems)).doesNotContain("short-secret").doesNotContain("short-admin");

    McpServerConfig config = loader().set("auth.admin-token", ADMIN_TOKEN, "flag --admin-token")
        .set("auth.options.password", "hunter2-hunter2", "test").load();
    assertThat(config.toString()).doesNotContain(AGENT_TOKEN).doesNotContain(ADMIN_TOKEN)
        .doesNotContain("hunter2").contains("agentToken=***").contains("password=***");
    assertThat(config.auth().adminToken().reveal()).isEqualTo(ADMIN_TOKEN);
  }

  @Test
  void requiredToken_andEqualTokens_andUnknownProviders() {
    assertThat(problems(ConfigLoader.create().environment(Map.of()).systemProperties(Map.of()))).containsExactly(
        "auth.agent-token (default): is required with auth.type static-token (env MCP_AUTH__AGENT_TOKEN)");
    assertThat(problems(loader().set("auth.admin-token", AGENT_TOKEN, "flag --admin-token"))).containsExactly(
        "auth.admin-token = *** (flag --admin-token): must differ from auth.agent-token");
    List<String> unknown = problems(loader().set("store.type", "postgres", "flag").set("auth.type", "ldap", "flag"));
    assertThat(unknown).hasSize(2);
    assertThat(unknown.get(0)).startsWith("store.type = postgres (flag): unknown store; available: ").contains("memory");
    assertThat(unknown.get(1)).startsWith("auth.type = ldap (flag): unknown authenticator; available: ")
        .contains("static-token").contains("jwt");
  }

  @Test
  void jwt_secretLengthCheckedAndRedacted_andAuthenticatorBuilt() {
    assertThat(problems(loader().set("auth.type", "jwt", "t").set("auth.jwt.secret", "too-short", "env X")))
        .containsExactly("auth.jwt.secret = *** (env X): is 9 bytes; HS256 needs at least 32");
    assertThat(problems(loader().set("auth.type", "jwt", "t").set("auth.jwt.algorithm", "ES256", "t")))
        .containsExactly("auth.jwt.algorithm = ES256 (t): must be HS256 or RS256");
    McpServerConfig config = loader().set("auth.type", "jwt", "t")
        .set("auth.jwt.secret", "0123456789abcdef0123456789abcdef", "t").load();
    assertThat(config.auth().authenticator().name()).containsIgnoringCase("jwt");
  }

  @Test
  void fileProblems_parseErrorsWithLocation_duplicatesListsAndWrongExtension() throws IOException {
    Path broken = write("broken.yaml", "server:\n  port: [1, 2\n");
    assertThat(problems(loader().file(broken))).singleElement().asString().startsWith("config-file (" + broken + ":")
        .contains("cannot parse: while parsing a flow sequence").doesNotContain("\n");
    Path dup = write("dup.yaml", "server:\n  port: 1\n  port: 2\ngrpc:\n  host: [a]\n");
    assertThat(problems(loader().file(dup))).containsExactly(
        "server.port (" + dup + ":3:9): duplicate key (first at " + dup + ":2:9)",
        "grpc.host (" + dup + ":5:9): lists are not supported here; write a single value");
    assertThat(problems(loader().file(dir.resolve("mcp.toml")))).containsExactly(
        "config-file = " + dir.resolve("mcp.toml") + " (command line): must end in .yaml, .yml or .json");
    assertThat(problems(loader().file(dir.resolve("absent.yaml")))).containsExactly(
        "config-file = " + dir.resolve("absent.yaml") + " (command line): is not a file");
    Path section = write("section.yaml", "server: 7400\n");
    assertThat(problems(loader().file(section))).containsExactly(
        "server (" + section + ":1:9): is a section, not a value: set the keys inside it");
  }

  @Test
  void severalProblems_reportedTogetherInOneMessage() {
    ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> loader()
        .set("server.port", "-5", "flag --mcp-port").set("http.max-header-bytes", "10", "flag --x").load());
    assertThat(e.getMessage()).isEqualTo("invalid configuration (2 problems):\n"
        + "  server.port = -5 (flag --mcp-port): outside 0..65535\n"
        + "  http.max-header-bytes = 10 (flag --x): outside 256..1MiB");
  }

  @Test
  void validate_recordsBuiltInCode_reportSetInCode() {
    McpServerConfig config = McpServerConfig.builder()
        .server(TcpServerConfig.builder().port(99999).build())
        .auth(AuthConfig.builder().agentToken(Secret.of(AGENT_TOKEN)).build())
        .build();
    assertThatThrownBy(config::validate).isInstanceOf(ConfigException.class)
        .hasMessage("invalid configuration (1 problem):\n  server.port = 99999 (set in code): outside 0..65535");
    assertThat(config.toBuilder().server(TcpServerConfig.builder().build()).build().validate()).isNotNull();
  }

  @Test
  void staticTokens_giveAgentsAndAdminsTheirRoles() {
    Authenticator auth = loader().set("auth.admin-token", ADMIN_TOKEN, "t").load().auth().authenticator();
    Identity admin = auth.authenticate(request(ADMIN_TOKEN));
    assertThat(admin.roles()).isEqualTo(Set.of("admin"));
    Identity agent = auth.authenticate(request(AGENT_TOKEN));
    assertThat(agent.name()).isEqualTo("node-1");
    assertThat(agent.hasRole("admin")).isFalse();
    assertThatThrownBy(() -> auth.authenticate(request("wrong-token-0123456789")))
        .isInstanceOf(AuthenticationException.class);
  }

  static AuthenticationRequest request(String token) {
    return AuthenticationRequest.of("node-1", "payments", token, Map.of(), List.of(), null);
  }
}
