package io.mcp.examples;

import io.mcp.config.ConfigException;
import io.mcp.config.ConfigLoader;
import io.mcp.config.McpServerConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code controller}: a standalone controller. Configuration comes in layers (docs/CONFIGURATION.md):
 * defaults, {@code --config FILE}, {@code MCP_*__*} environment variables, {@code mcp.*} system
 * properties, and these flags on top.
 */
@Command(
    name = "controller",
    mixinStandardHelpOptions = true,
    description = {"Run a controller: the SQLite store, the MCP/1 TCP server and the gRPC server.",
        "Flags override the configuration file, MCP_* environment variables and mcp.* system properties."})
final class ControllerCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON configuration file.")
  Path config;

  @Option(names = "--mcp-port", paramLabel = "PORT", description = "MCP/1 TCP port (server.port; default 7400; 0 = any).")
  Integer mcpPort;

  @Option(names = "--grpc-port", paramLabel = "PORT", description = "gRPC port (grpc.port; default 7401; 0 = any).")
  Integer grpcPort;

  @Option(names = "--http-port", paramLabel = "PORT", description = "HTTP gateway port (http.port; default 7402; 0 = any).")
  Integer httpPort;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Store directory (store.data-dir; default data).")
  Path dataDir;

  @Option(names = "--token", paramLabel = "TOKEN", description = "Agents' token (auth.agent-token; better: MCP_AUTH__AGENT_TOKEN).")
  String token;

  @Option(names = "--admin-token", paramLabel = "TOKEN", description = "Operators' token (auth.admin-token; better: MCP_AUTH__ADMIN_TOKEN).")
  String adminToken;

  @Option(names = "--handshake-timeout-ms", paramLabel = "MS", description = "server.handshake-timeout in milliseconds.")
  Long handshakeTimeoutMs;

  @Option(names = "--idle-timeout-ms", paramLabel = "MS", description = "server.idle-timeout in milliseconds.")
  Long idleTimeoutMs;

  private final PrintStream out;
  private final PrintStream err;
  private final Supplier<ConfigLoader> loaders;

  ControllerCommand() {
    this(System.out, System.err, ConfigLoader::create);
  }

  /** For tests: other streams, and a loader with a given environment. */
  ControllerCommand(PrintStream out, PrintStream err, Supplier<ConfigLoader> loaders) {
    this.out = out;
    this.err = err;
    this.loaders = loaders;
  }

  /** The loader with these flags as its top layer. */
  ConfigLoader loader(ConfigLoader loader) {
    loader.file(config);
    set(loader, "server.port", mcpPort, "--mcp-port");
    set(loader, "grpc.port", grpcPort, "--grpc-port");
    set(loader, "http.port", httpPort, "--http-port");
    set(loader, "store.data-dir", dataDir, "--data-dir");
    set(loader, "auth.agent-token", token, "--token");
    set(loader, "auth.admin-token", adminToken, "--admin-token");
    set(loader, "server.handshake-timeout", handshakeTimeoutMs == null ? null : handshakeTimeoutMs + "ms",
        "--handshake-timeout-ms");
    set(loader, "server.idle-timeout", idleTimeoutMs == null ? null : idleTimeoutMs + "ms", "--idle-timeout-ms");
    return loader;
  }

  private static void set(ConfigLoader loader, String key, Object value, String flag) {
    if (value != null) {
      loader.set(key, value.toString(), "flag " + flag);
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    McpServerConfig loaded;
    try {
      loaded = loader(loaders.get()).load();
    } catch (ConfigException e) {
      err.println("controller: error: " + e.getMessage());
      return 2;
    }
    ControllerServer server;
    try {
      server = ControllerServer.start(loaded, null, out);
    } catch (RuntimeException e) {
      err.println("controller: error: cannot start: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdown(Duration.ofSeconds(5));
      out.println("stopped");
      out.flush();
      stopped.countDown();
      // SIGTERM/SIGINT after a clean stop: exit status 0, not 143/130.
      Runtime.getRuntime().halt(0);
    }, "controller-shutdown"));
    stopped.await();
    return 0;
  }
}
