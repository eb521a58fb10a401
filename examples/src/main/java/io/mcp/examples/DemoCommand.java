package io.mcp.examples;

import io.mcp.store.sqlite.SqliteConfigStore;
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

  @Option(names = "--data-dir", defaultValue = "data", description = "Where the controller keeps its SQLite database (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--exit", description = "Stop after the scripted steps instead of running until Ctrl-C.")
  boolean exit;

  @Override
  public Integer call() throws Exception {
    Path database = dataDir.resolve("controller.db");
    System.out.println("configuration store: SQLite at " + database.toAbsolutePath()
        + " (versions survive restarts; delete the folder to start over)");
    return new ControlPlaneDemo(System.out).run(() -> SqliteConfigStore.open(database), mcpPort, exit);
  }
}
