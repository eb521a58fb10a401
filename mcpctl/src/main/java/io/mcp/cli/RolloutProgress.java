package io.mcp.cli;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.mcp.grpc.ControlPlaneClient;
import io.mcp.grpc.proto.ControlPlaneGrpc;
import io.mcp.grpc.proto.ConfigResponse;
import io.mcp.grpc.proto.GetConfigurationRequest;
import io.mcp.grpc.proto.RolloutSummary;
import io.mcp.grpc.proto.StatusUpdate;
import io.mcp.grpc.proto.StreamRequest;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * While a rollout is awaited, shows {@code \r3/5 acked, 0 rejected} from the service's status
 * stream (answers for versions newer than the one before the change). The numbers are a progress
 * display; the outcome is the rollout summary the controller returns.
 */
final class RolloutProgress implements AutoCloseable {
  private final PrintStream out;
  private final long before;
  private final Context.CancellableContext context = Context.current().withCancellation();
  private final Set<String> connected = new HashSet<>();
  /** Node to true (acked) or false (rejected), for versions above {@code before}. */
  private final Map<String, Boolean> answers = new HashMap<>();
  private String shown = "";
  private boolean finished;

  RolloutProgress(PrintStream out, long before) {
    this.out = out;
    this.before = before;
  }

  /** The newest version of {@code service}, 0 if it has none. */
  static long latestVersion(ControlPlaneClient client, String service) {
    try {
      return client.blocking().getConfiguration(GetConfigurationRequest.newBuilder().setServiceName(service).build())
          .getVersion();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return 0;
      }
      throw e;
    }
  }

  /**
   * Makes {@code call} (an apply or a rollback that waits for every node) with {@code timeout} as its
   * deadline, showing the nodes' answers to versions newer than the current one meanwhile.
   */
  static ConfigResponse callShowingProgress(ControlPlaneClient client, String service, PrintStream out,
      Duration timeout, Function<ControlPlaneGrpc.ControlPlaneBlockingStub, ConfigResponse> call) {
    long before = latestVersion(client, service);
    try (RolloutProgress progress = start(client, service, before, out)) {
      return call.apply(client.blocking().withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS));
    }
  }

  static RolloutProgress start(ControlPlaneClient client, String service, long before, PrintStream out) {
    RolloutProgress progress = new RolloutProgress(out, before);
    progress.context.run(() -> client.streaming().streamStatus(StreamRequest.newBuilder().setServiceName(service).build(),
        new StreamObserver<>() {
          @Override
          public void onNext(StatusUpdate update) {
            progress.update(update, service);
          }

          @Override
          public void onError(Throwable t) {
            // the display stops; the awaited call reports the outcome
          }

          @Override
          public void onCompleted() {}
        }));
    return progress;
  }

  synchronized void update(StatusUpdate update, String service) {
    if (finished) {
      return;
    }
    String node = update.getNode().getNodeId();
    switch (update.getKind()) {
      case SNAPSHOT, CONNECTED -> {
        if (update.getNode().getConnected() && update.getNode().getServicesList().contains(service)) {
          connected.add(node);
        }
      }
      case APPLIED -> {
        if (update.getServiceName().equals(service) && update.getVersion() > before) {
          answers.put(node, true);
        }
      }
      case REJECTED -> {
        if (update.getServiceName().equals(service) && update.getVersion() > before) {
          answers.put(node, false);
        }
      }
      default -> { }
    }
    if (update.getKind() != StatusUpdate.Kind.SNAPSHOT) {
      show();
    }
  }

  private void show() {
    long acked = answers.values().stream().filter(a -> a).count();
    long rejected = answers.size() - acked;
    Set<String> targets = new HashSet<>(connected);
    targets.addAll(answers.keySet());
    String line = acked + "/" + targets.size() + " acked, " + rejected + " rejected";
    if (!line.equals(shown)) {
      out.print("\r" + line);
      out.flush();
      shown = line;
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      if (!finished && !shown.isEmpty()) {
        out.println();
      }
      finished = true;
    }
    context.cancel(null);
  }

  /**
   * Prints the outcome of an awaited rollout and returns the exit code: 3 if any node rejected it,
   * 5 if any did not answer in time, else 0.
   */
  static int report(PrintStream out, String service, ConfigResponse response, Duration timeout) {
    RolloutSummary summary = response.getRollout();
    long version = response.getVersion();
    out.println(service + " version " + version + ": " + summary.getAckedCount() + " acked, "
        + summary.getRejectedCount() + " rejected, " + summary.getTimedOutCount() + " timed out");
    new TreeMap<>(summary.getRejectedMap()).forEach((node, reason) ->
        out.println("  rejected by " + Table.printable(node) + ": " + Table.printable(reason)));
    summary.getTimedOutList().stream().sorted().forEach(node -> out.println("  no answer from " + node));
    String outcome = summary.getOutcome();
    if (!outcome.isEmpty() && !outcome.startsWith("complete") && !outcome.startsWith("running")) {
      out.println("  rollout " + Table.printable(outcome));
    }
    out.flush();
    if (summary.getRejectedCount() > 0) {
      throw new CliException(ExitCode.REJECTED, service + " version " + version + " was rejected by "
          + summary.getRejectedCount() + (summary.getRejectedCount() == 1 ? " node" : " nodes"));
    }
    if (summary.getTimedOutCount() > 0 || !summary.getSatisfied()) {
      throw new CliException(ExitCode.TIMED_OUT, "timed out after " + Durations.format(timeout) + ": "
          + summary.getTimedOutCount() + " of " + (summary.getAckedCount() + summary.getTimedOutCount())
          + " nodes did not acknowledge " + service + " version " + version);
    }
    return ExitCode.OK;
  }
}
