package io.mcp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.grpc.proto.NodeInfo;
import io.mcp.grpc.proto.StatusUpdate;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The progress line shown while a rollout is awaited. */
class RolloutProgressTest {
  static StatusUpdate update(StatusUpdate.Kind kind, String node, String service, long version) {
    return StatusUpdate.newBuilder().setKind(kind).setServiceName(kind == StatusUpdate.Kind.SNAPSHOT ? "" : service)
        .setVersion(version)
        .setNode(NodeInfo.newBuilder().setNodeId(node).addServices(service).setConnected(true)).build();
  }

  @Test
  void printable_escapesControlCharacters() {
    assertThat(Table.printable("got \"x\n\"\tand\u0007")).isEqualTo("got \"x\\n\"\\tand\\u0007");
  }

  @Test
  void countsAnswersForNewerVersions_overTheConnectedNodes_rewritingOneLine() {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    RolloutProgress progress = new RolloutProgress(out, 4);
    progress.update(update(StatusUpdate.Kind.SNAPSHOT, "a", "payments", 0), "payments");
    progress.update(update(StatusUpdate.Kind.SNAPSHOT, "b", "payments", 0), "payments");
    progress.update(update(StatusUpdate.Kind.SNAPSHOT, "c", "payments", 0), "payments");
    progress.update(update(StatusUpdate.Kind.SNAPSHOT_END, "", "payments", 0), "payments");
    progress.update(update(StatusUpdate.Kind.APPLIED, "a", "payments", 4), "payments"); // the old version
    progress.update(update(StatusUpdate.Kind.APPLIED, "a", "payments", 5), "payments");
    progress.update(update(StatusUpdate.Kind.APPLIED, "x", "shipping", 5), "payments"); // another service
    progress.update(update(StatusUpdate.Kind.REJECTED, "b", "payments", 5), "payments");
    progress.update(update(StatusUpdate.Kind.APPLIED, "c", "payments", 5), "payments");
    progress.close();
    progress.update(update(StatusUpdate.Kind.APPLIED, "d", "payments", 5), "payments"); // after close: nothing

    assertThat(buffer.toString(StandardCharsets.UTF_8))
        .isEqualTo("\r0/3 acked, 0 rejected\r1/3 acked, 0 rejected\r1/3 acked, 1 rejected\r2/3 acked, 1 rejected\n");
  }
}
