package io.mcp.cli;

import com.google.protobuf.ByteString;
import io.mcp.grpc.ControlPlaneClient;
import io.mcp.grpc.proto.ConfigRequest;
import io.mcp.grpc.proto.ConfigResponse;
import io.mcp.grpc.proto.WaitCondition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code apply SERVICE --file F [--wait] [--canary 10%|--canary zone=a] [--timeout 30s]}. */
@Command(name = "apply", mixinStandardHelpOptions = true,
    description = "Store FILE as the next version of SERVICE's configuration and roll it out.")
final class ApplyCommand implements Callable<Integer> {
  @ParentCommand Mcpctl root;

  @Parameters(index = "0", paramLabel = "SERVICE", description = "The service.")
  String service;

  @Option(names = "--file", required = true, paramLabel = "FILE", description = "The configuration (any bytes).")
  Path file;

  @Option(names = "--wait", description = "Wait until every connected node of the service ACKs or NACKs it.")
  boolean wait;

  @Option(names = "--canary", paramLabel = "PERCENT%|LABEL=VALUE[,...]",
      description = "Roll out to a canary wave first: a share of the nodes (10%%) or those with labels (zone=a).")
  String canary;

  @Option(names = "--timeout", defaultValue = "30s", paramLabel = "DURATION", converter = Durations.class,
      description = "How long to wait (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() {
    byte[] data = read(file);
    ConfigRequest.Builder request = ConfigRequest.newBuilder().setServiceName(service)
        .setConfigData(ByteString.copyFrom(data)).setRequestId(UUID.randomUUID().toString());
    if (canary != null) {
      request.setRolloutPolicy("canary").putAllRolloutSettings(canarySettings(canary));
    }
    try (ControlPlaneClient client = root.client(timeout)) {
      if (!wait) {
        ConfigResponse response = client.blocking().applyConfiguration(request.build());
        root.out.println("applied " + service + " version " + response.getVersion() + " (" + data.length + " bytes)");
        return ExitCode.OK;
      }
      request.setWait(WaitCondition.newBuilder().setKind(WaitCondition.Kind.ALL));
      ConfigResponse response = RolloutProgress.callShowingProgress(client, service, root.out, timeout,
          stub -> stub.applyConfiguration(request.build()));
      return RolloutProgress.report(root.out, service, response, timeout);
    }
  }

  static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new CliException(ExitCode.USAGE, "cannot read " + file + ": no such file");
    } catch (IOException e) {
      throw new CliException(ExitCode.USAGE, "cannot read " + file + ": " + e.getMessage());
    }
  }

  /** {@code 10%} to {@code percent=10}; {@code zone=a,tier=web} to {@code labels=zone=a,tier=web}. */
  static Map<String, String> canarySettings(String canary) {
    String value = canary.strip();
    Map<String, String> settings = new LinkedHashMap<>();
    if (value.endsWith("%")) {
      int percent;
      try {
        percent = Integer.parseInt(value.substring(0, value.length() - 1).strip());
      } catch (NumberFormatException e) {
        percent = -1;
      }
      if (percent < 1 || percent > 100) {
        throw new CliException(ExitCode.USAGE, "--canary '" + canary + "': the percentage must be 1..100");
      }
      settings.put("percent", Integer.toString(percent));
      return settings;
    }
    for (String pair : value.split(",")) {
      int eq = pair.indexOf('=');
      if (eq <= 0 || eq == pair.length() - 1) {
        throw new CliException(ExitCode.USAGE, "--canary '" + canary + "': write a percentage (10%) or labels"
            + " (zone=a,tier=web)");
      }
    }
    settings.put("labels", value);
    return settings;
  }
}
