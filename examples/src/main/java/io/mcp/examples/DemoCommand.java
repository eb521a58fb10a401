package io.mcp.examples;

import io.mcp.config.GrpcConfig;
import io.mcp.config.HttpConfig;
import io.mcp.config.McpServerConfig;
import io.mcp.config.StoreConfig;
import io.mcp.config.TcpServerConfig;
import io.mcp.store.sqlite.SqliteConfigStoreProvider;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code demo}: the control plane at work on loopback. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run a controller and agents on loopback: apply, ACK, NACK, rollback; then keep running.")
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--mcp-port", defaultValue = "7400", description = "Controller's MCP/1 port (default: ${DEFAULT-VALUE}; 0 = any).")
  int mcpPort;

  @Option(names = "--grpc-port", defaultValue = "7401", description = "Controller's gRPC port (default: ${DEFAULT-VALUE}; 0 = any).")
  int grpcPort;

  @Option(names = "--http-port", defaultValue = "7402", description = "HTTP gateway port (default: ${DEFAULT-VALUE}; 0 = any).")
  int httpPort;

  @Option(names = "--data-dir", defaultValue = "data", description = "Where the controller keeps its SQLite database (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--exit", description = "Stop after the scripted steps instead of running until Ctrl-C.")
  boolean exit;

  @Override
  public Integer call() throws Exception {
    System.out.println("configuration store: SQLite at "
        + dataDir.resolve(SqliteConfigStoreProvider.DATABASE_FILE).toAbsolutePath()
        + " (versions survive restarts; delete the folder to start over)");
    McpServerConfig config = McpServerConfig.builder()
        .server(TcpServerConfig.builder().port(mcpPort).build())
        .grpc(GrpcConfig.builder().port(grpcPort).build())
        .http(HttpConfig.builder().port(httpPort).build())
        .store(StoreConfig.builder().type("sqlite").dataDir(dataDir).build())
        .build();
    return new ControlPlaneDemo(System.out).run(config, exit);
  }
}
