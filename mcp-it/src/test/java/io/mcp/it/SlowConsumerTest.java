package io.mcp.it;

import static io.mcp.it.Fleet.awaitOrFail;
import static io.mcp.it.Fleet.config;
import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.codec.CloseCode;
import io.mcp.core.Agent;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.Session;
import io.mcp.it.FaultProxy.Direction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One agent behind a 10 KB/s link while the controller fans a configuration out to many. The
 * documented policy (ERRORS.md, PROTOCOL.md §11.5.9 and §16.3 rule 7): a session whose socket stays
 * above its high water mark for the write deadline, or whose outbound budget cannot take a push,
 * is closed with SLOW_CONSUMER and receives the newest version when it reconnects; a push that fits
 * in the socket's buffers simply drains at the link's pace. Either way the other agents are not held
 * back.
 *
 * <p>The controller runs with a 1 s write deadline (default 30 s) so the test stays short.
 */
class SlowConsumerTest {
  static final int FAST = 10;
  static final long RATE = 10 * 1024;
  static final Duration WRITE_DEADLINE = Duration.ofSeconds(1);
  static final Duration WAIT = Duration.ofSeconds(30);

  Fleet fleet;
  FaultProxy proxy;
  final List<Fleet.Recorder> fast = new ArrayList<>();
  final List<Agent> fastAgents = new ArrayList<>();
  Fleet.Recorder slow;
  Agent slowAgent;

  @BeforeEach
  void start() throws Exception {
    fleet = new Fleet(new InMemoryConfigStore(), 2, b -> b.writeDeadline(WRITE_DEADLINE));
    fleet.startController();
    proxy = FaultProxy.start(fleet.controllerAddress(), 8 * 1024);
    for (int i = 0; i < FAST; i++) {
      Fleet.Recorder r = new Fleet.Recorder();
      fast.add(r);
      fastAgents.add(fleet.agent("fast-" + i, "feeds", r, Fleet.fastReconnect(), fleet.controllerAddress()));
    }
    slow = new Fleet.Recorder();
    slowAgent = fleet.agent("slow", "feeds", slow, Fleet.fastReconnect(), proxy.address());
    awaitOrFail("all connected", () -> fleet.connectedNodes() == FAST + 1 && slowAgent.session().isPresent(), WAIT);
  }

  @AfterEach
  void stop() throws Exception {
    fleet.close();
    proxy.close();
  }

  long fastConvergedMillis(long version, long since) throws InterruptedException {
    awaitOrFail("fast agents on " + version, () -> fastAgents.stream()
        .allMatch(a -> a.appliedVersion("feeds").orElse(0) >= version), WAIT);
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
  }

  @Test
  void pushesBeyondTheBuffers_slowOneClosedWithSlowConsumer_othersUnaffected_convergesWhenTheLinkRecovers()
      throws Exception {
    proxy.bandwidth(Direction.DOWNSTREAM, RATE);
    Session slowSession = slowAgent.session().orElseThrow();
    int size = 3 * 1024 * 1024;

    // Three 3 MiB versions back to back: more than the kernel's socket buffers (up to 4 MiB of send
    // buffer on Linux) plus the 1 MiB high water mark, so the slow session's socket stays full.
    List<Long> fastMs = new ArrayList<>();
    List<String> slowState = new ArrayList<>();
    long v = 0;
    long t0 = System.nanoTime();
    for (int i = 1; i <= 3; i++) {
      long ti = System.nanoTime();
      v = fleet.controller.apply("feeds", config(i, size));
      fastMs.add(fastConvergedMillis(v, ti));
      slowState.add(slowQueued());
    }
    long last = v;

    // At 10 KB/s the slow agent needs about 300 s for one push: it cannot have any yet.
    assertThat(slowAgent.appliedVersion("feeds")).isEmpty();
    awaitOrFail("SLOW_CONSUMER close on the controller",
        () -> fleet.serverCloses.stream().anyMatch(c -> c.code() == CloseCode.SLOW_CONSUMER), WAIT);
    long slowClosedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    // The agent hears of it only once the slow link has carried what was queued before the close.
    awaitOrFail("the slow agent's session ended", () -> slowSession.state().isTerminating(), WAIT);
    long slowNoticedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

    proxy.heal();
    assertThat(slowAgent.awaitApplied("feeds", last, WAIT)).as("the slow agent catches up once the link recovers")
        .isTrue();
    System.out.printf("slow consumer (3 x 3 MiB pushes, 10 KB/s, write deadline %d ms): %d fast agents converged "
        + "on each version in %s ms; slow session after each push %s; controller closed it with SLOW_CONSUMER "
        + "after %d ms, the agent noticed after %d ms and converged once the link recovered%n",
        WRITE_DEADLINE.toMillis(), FAST, fastMs, slowState, slowClosedMs, slowNoticedMs);
    assertThat(slow.violations).isEmpty();
    assertThat(slow.applied).containsExactly(last);
  }

  /** The slow session's writability and queued bytes on the controller, for the report. */
  String slowQueued() {
    return fleet.controller.server().sessions().stream().filter(s -> s.nodeId().equals("slow"))
        .map(s -> (s.isWritable() ? "writable" : "unwritable") + "/" + s.queuedBytes() + " B queued")
        .findFirst().orElse("closed");
  }

  @Test
  void pushThatFitsTheBuffers_slowOneCatchesUpAtTheLinksPace_othersUnaffected() throws Exception {
    proxy.bandwidth(Direction.DOWNSTREAM, RATE);
    Session slowSession = slowAgent.session().orElseThrow();
    int size = 40 * 1024;

    long t0 = System.nanoTime();
    long v1 = fleet.controller.apply("feeds", config(1, size));
    long fastMs = fastConvergedMillis(v1, t0);
    boolean slowHadItWhenFastDone = slowAgent.appliedVersion("feeds").isPresent();

    assertThat(slowAgent.awaitApplied("feeds", v1, WAIT)).as("the slow agent catches up").isTrue();
    long slowMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

    System.out.printf("slow consumer (40 KiB push, 10 KB/s): %d fast agents converged in %d ms; slow one in %d ms%n",
        FAST, fastMs, slowMs);
    // 40 KiB at 10 KB/s takes about 4 s; the fast agents did not wait for it.
    assertThat(slowHadItWhenFastDone).as("fast agents converged before the slow link could deliver").isFalse();
    assertThat(slowMs).isGreaterThanOrEqualTo(3_000);
    assertThat(slowAgent.session().orElseThrow().id()).as("no SLOW_CONSUMER: same session").isEqualTo(slowSession.id());
    assertThat(fleet.serverCloses).isEmpty();
    assertThat(slow.violations).isEmpty();
  }
}
