package io.mcp.cli;

import io.mcp.grpc.ControlPlaneClient;
import io.mcp.grpc.proto.ConfigResponse;
import io.mcp.grpc.proto.RollbackRequest;
import io.mcp.grpc.proto.WaitCondition;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code rollback SERVICE --to N [--wait] [--timeout 30s]}. */
@Command(name = "rollback", mixinStandardHelpOptions = true,
    description = "Apply the content of an earlier version of SERVICE again, as a new version.")
final class RollbackCommand implements Callable<Integer> {
  @ParentCommand Mcpctl root;

  @Parameters(index = "0", paramLabel = "SERVICE", description = "The service.")
  String service;

  @Option(names = "--to", required = true, paramLabel = "VERSION", description = "The version whose content to restore.")
  long to;

  @Option(names = "--wait", description = "Wait until every connected node of the service ACKs or NACKs it.")
  boolean wait;

  @Option(names = "--timeout", defaultValue = "30s", paramLabel = "DURATION", converter = Durations.class,
      description = "How long to wait (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() {
    if (to < 1) {
      throw new CliException(ExitCode.USAGE, "--to " + to + ": versions start at 1");
    }
    RollbackRequest.Builder request = RollbackRequest.newBuilder().setServiceName(service).setToVersion(to)
        .setRequestId(UUID.randomUUID().toString());
    try (ControlPlaneClient client = root.client(timeout)) {
      if (!wait) {
        ConfigResponse response = client.blocking().rollback(request.build());
        root.out.println("rolled " + service + " back to the content of version " + to + " as version "
            + response.getVersion());
        return ExitCode.OK;
      }
      request.setWait(WaitCondition.newBuilder().setKind(WaitCondition.Kind.ALL));
      ConfigResponse response = RolloutProgress.callShowingProgress(client, service, root.out, timeout,
          stub -> stub.rollback(request.build()));
      root.out.println("rolled " + service + " back to the content of version " + to + " as version "
          + response.getVersion());
      return RolloutProgress.report(root.out, service, response, timeout);
    }
  }
}
