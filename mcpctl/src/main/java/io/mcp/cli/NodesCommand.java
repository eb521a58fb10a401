package io.mcp.cli;

import io.mcp.grpc.ControlPlaneClient;
import io.mcp.grpc.proto.ListNodesRequest;
import io.mcp.grpc.proto.NodeInfo;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code nodes [--service S]}: the fleet as a table. */
@Command(name = "nodes", mixinStandardHelpOptions = true,
    description = "List the nodes: NODE SERVICE TRANSPORT APPLIED HEALTH RTT LAST-SEEN.")
final class NodesCommand implements Callable<Integer> {
  @ParentCommand Mcpctl root;

  @Option(names = "--service", paramLabel = "SERVICE", description = "Only nodes of SERVICE.")
  String service;

  @Override
  public Integer call() {
    try (ControlPlaneClient client = root.client(Duration.ofSeconds(30))) {
      List<NodeInfo> nodes = client.blocking().listNodes(ListNodesRequest.newBuilder()
          .setServiceName(service == null ? "" : service).build()).getNodesList();
      Table table = new Table("NODE", "SERVICE", "TRANSPORT", "APPLIED", "HEALTH", "RTT", "LAST-SEEN");
      long now = root.clock.millis();
      nodes.stream().sorted(Comparator.comparing(NodeInfo::getNodeId)).forEach(node -> {
        for (String s : node.getServicesList()) {
          if (service != null && !service.equals(s)) {
            continue;
          }
          Long applied = node.getAppliedVersionsMap().get(s);
          table.row(node.getNodeId(), s, node.getTransport().isEmpty() ? "-" : node.getTransport(),
              applied == null || applied == 0 ? "-" : Long.toString(applied),
              node.getConnected() ? node.getHealth().toLowerCase(Locale.ROOT) : "disconnected",
              rtt(node.getRttMicros()), age(now, node.getLastSeenUnixMs()));
        }
      });
      if (table.size() == 0) {
        root.out.println(service == null ? "no nodes" : "no nodes of " + service);
        return ExitCode.OK;
      }
      table.print(root.out);
      return ExitCode.OK;
    }
  }

  static String rtt(long micros) {
    if (micros == 0) {
      return "-";
    }
    return micros < 10_000 ? String.format(Locale.ROOT, "%.1fms", micros / 1000.0) : (micros / 1000) + "ms";
  }

  static String age(long now, long then) {
    if (then <= 0) {
      return "-";
    }
    long seconds = Math.max(0, (now - then) / 1000);
    if (seconds < 120) {
      return seconds + "s ago";
    }
    if (seconds < 7200) {
      return seconds / 60 + "m ago";
    }
    return seconds / 3600 + "h ago";
  }
}
