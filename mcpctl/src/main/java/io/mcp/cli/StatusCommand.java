package io.mcp.cli;

import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.mcp.grpc.ControlPlaneClient;
import io.mcp.grpc.proto.NodeInfo;
import io.mcp.grpc.proto.StatusUpdate;
import io.mcp.grpc.proto.StreamRequest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code status [--follow] [--service S]}: the fleet, then live events, one line each. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Print the fleet's state, one node per line; with --follow, then every event as it happens.")
final class StatusCommand implements Callable<Integer> {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  @ParentCommand Mcpctl root;

  @Option(names = "--follow", description = "Keep printing events until interrupted (Ctrl-C).")
  boolean follow;

  @Option(names = "--service", paramLabel = "SERVICE", description = "Only SERVICE.")
  String service;

  @Option(names = "--limit", paramLabel = "N", description = "With --follow: stop after N events.")
  Integer limit;

  /** One item from the stream: an update, an error, or the end. */
  private record Item(StatusUpdate update, Throwable error) {}

  @Override
  public Integer call() throws InterruptedException {
    if (limit != null && limit < 1) {
      throw new CliException(ExitCode.USAGE, "--limit " + limit + " must be at least 1");
    }
    BlockingQueue<Item> items = new LinkedBlockingQueue<>();
    try (ControlPlaneClient client = root.client(Duration.ofSeconds(30))) {
      Context.CancellableContext context = Context.current().withCancellation();
      try {
        context.run(() -> client.streaming().streamStatus(StreamRequest.newBuilder()
            .setServiceName(service == null ? "" : service).build(), new StreamObserver<>() {
              @Override
              public void onNext(StatusUpdate update) {
                items.add(new Item(update, null));
              }

              @Override
              public void onError(Throwable t) {
                items.add(new Item(null, t));
              }

              @Override
              public void onCompleted() {
                items.add(new Item(null, null));
              }
            }));
        int events = 0;
        while (true) {
          Item item = items.take(); // Ctrl-C ends the process; the controller's end or an error ends the stream
          if (item.error() != null) {
            if (item.error() instanceof StatusRuntimeException e) {
              throw e;
            }
            throw new CliException(ExitCode.INTERNAL, "status stream failed: " + item.error());
          }
          if (item.update() == null) {
            return ExitCode.OK;
          }
          StatusUpdate update = item.update();
          if (update.getKind() == StatusUpdate.Kind.SNAPSHOT_END) {
            if (!follow) {
              return ExitCode.OK;
            }
            continue;
          }
          root.out.println(format(update));
          root.out.flush();
          if (update.getKind() != StatusUpdate.Kind.SNAPSHOT && limit != null && ++events >= limit) {
            return ExitCode.OK;
          }
        }
      } finally {
        context.cancel(null);
      }
    }
  }

  /** One line: {@code 06:20:01.123 APPLIED pay-1 payments v3}. */
  static String format(StatusUpdate update) {
    NodeInfo node = update.getNode();
    StringBuilder line = new StringBuilder();
    line.append(TIME.format(Instant.ofEpochMilli(update.getTimeUnixMs()))).append(' ').append(update.getKind());
    if (!node.getNodeId().isEmpty()) {
      line.append(' ').append(node.getNodeId());
    }
    if (update.getKind() == StatusUpdate.Kind.SNAPSHOT) {
      // SNAPSHOT pay-1 payments@3 tcp healthy: each service with its applied version (- for none)
      java.util.List<String> services = new java.util.ArrayList<>();
      for (String service : node.getServicesList()) {
        long applied = node.getAppliedVersionsMap().getOrDefault(service, 0L);
        services.add(service + "@" + (applied == 0 ? "-" : Long.toString(applied)));
      }
      line.append(' ').append(String.join(",", services)).append(' ').append(node.getTransport()).append(' ')
          .append(node.getConnected() ? node.getHealth().toLowerCase(Locale.ROOT) : "disconnected");
      return line.toString();
    }
    if (!update.getServiceName().isEmpty()) {
      line.append(' ').append(update.getServiceName());
    }
    if (update.getVersion() != 0) {
      line.append(" v").append(update.getVersion());
    }
    if (!update.getDetail().isEmpty()) {
      line.append(": ").append(Table.printable(update.getDetail()));
    }
    return line.toString();
  }
}
