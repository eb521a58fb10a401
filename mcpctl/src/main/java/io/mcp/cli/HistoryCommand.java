package io.mcp.cli;

import io.mcp.grpc.ControlPlaneClient;
import io.mcp.grpc.proto.Configuration;
import io.mcp.grpc.proto.ListVersionsRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code history SERVICE}. */
@Command(name = "history", mixinStandardHelpOptions = true, description = "List SERVICE's versions, newest first.")
final class HistoryCommand implements Callable<Integer> {
  @ParentCommand Mcpctl root;

  @Parameters(index = "0", paramLabel = "SERVICE", description = "The service.")
  String service;

  @Option(names = "--limit", defaultValue = "100", paramLabel = "N",
      description = "At most N versions, 1..10000 (default: ${DEFAULT-VALUE}).")
  int limit;

  @Override
  public Integer call() {
    if (limit < 1 || limit > 10_000) {
      throw new CliException(ExitCode.USAGE, "--limit " + limit + " outside 1..10000");
    }
    try (ControlPlaneClient client = root.client(Duration.ofSeconds(30))) {
      List<Configuration> versions = client.blocking().listVersions(ListVersionsRequest.newBuilder()
          .setServiceName(service).setLimit(limit).build()).getVersionsList();
      if (versions.isEmpty()) {
        throw new CliException(ExitCode.NOT_FOUND, "service " + service + " has no configuration");
      }
      Table table = new Table("VERSION", "CREATED");
      for (Configuration version : versions) {
        table.row(Long.toString(version.getVersion()), Instant.ofEpochMilli(version.getCreatedUnixMs()).toString());
      }
      table.print(root.out);
      return ExitCode.OK;
    }
  }
}
