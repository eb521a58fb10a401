package io.mcp.cli;

import io.mcp.grpc.ControlPlaneClient;
import io.mcp.grpc.proto.Configuration;
import io.mcp.grpc.proto.GetConfigurationRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code get SERVICE [--version N] [--output FILE]}. */
@Command(name = "get", mixinStandardHelpOptions = true,
    description = "Print SERVICE's newest configuration (or a given version) as stored, byte for byte.")
final class GetCommand implements Callable<Integer> {
  @ParentCommand Mcpctl root;

  @Parameters(index = "0", paramLabel = "SERVICE", description = "The service.")
  String service;

  @Option(names = "--version", paramLabel = "N", description = "The version (default: the newest).")
  long version;

  @Option(names = "--output", paramLabel = "FILE", description = "Write to FILE instead of standard output.")
  Path output;

  @Override
  public Integer call() {
    if (version < 0) {
      throw new CliException(ExitCode.USAGE, "--version " + version + ": versions start at 1");
    }
    try (ControlPlaneClient client = root.client(Duration.ofSeconds(30))) {
      Configuration config = client.blocking().getConfiguration(GetConfigurationRequest.newBuilder()
          .setServiceName(service).setVersion(version).build());
      byte[] data = config.getConfigData().toByteArray();
      if (output == null) {
        root.out.write(data, 0, data.length);
        root.out.flush();
        return ExitCode.OK;
      }
      try {
        Files.write(output, data);
      } catch (IOException e) {
        throw new CliException(ExitCode.INTERNAL, "cannot write " + output + ": " + e.getMessage());
      }
      root.out.println("wrote " + service + " version " + config.getVersion() + " (" + data.length + " bytes) to "
          + output);
      return ExitCode.OK;
    }
  }
}
