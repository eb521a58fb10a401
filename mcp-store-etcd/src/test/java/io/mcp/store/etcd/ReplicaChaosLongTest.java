package io.mcp.store.etcd;

import static io.mcp.store.etcd.Fixtures.address;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.Agent;
import io.mcp.core.Controller;
import io.mcp.core.LoadShedding;
import io.mcp.core.NodeView;
import io.mcp.core.spi.StoreException;
import io.mcp.store.etcd.Fixtures.Recorder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The long scenario, run with {@code -Petcd-long} (30 rounds, under a minute; {@code
 * -Dmcp.chaos.rounds=300} for a longer run): a 3-member etcd cluster, one
 * replica in this JVM and two in child JVMs, 30 agents listing all three; 30 rounds of applies from
 * two threads on two replicas while, in turns, an etcd member is killed and restarted and a child
 * replica is SIGKILLed and restarted on its port. At the end every agent has the newest version,
 * having applied versions only in increasing order, and every apply that returned got its own
 * version.
 */
class ReplicaChaosLongTest {
  static final int AGENTS = 30;
  static final int ROUNDS = Integer.getInteger("mcp.chaos.rounds", 30);
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<Process> children = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (Process child : children) {
      child.destroyForcibly();
      child.waitFor(10, TimeUnit.SECONDS);
    }
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  @Test
  void chaos_membersAndReplicasKilledWhileApplying_everyAgentConvergesInOrder() throws Exception {
    EtcdCluster etcd = EtcdCluster.start(3);
    closeables.add(etcd);
    String prefix = "/chaos";
    EtcdConfigStore storeA = EtcdConfigStore.open(Fixtures.storeOptions(etcd.endpoints(), prefix, "a").build());
    closeables.add(storeA);
    Controller a = Fixtures.controller(storeA, LoadShedding.fairShare(0.25, 5, Duration.ofSeconds(2)));
    closeables.add(a);
    int[] ports = {freePort(), freePort()};
    Process[] replicas = {startChild(etcd, prefix, "b", ports[0]), startChild(etcd, prefix, "c", ports[1])};
    EtcdConfigStore storeApplier = EtcdConfigStore.open(Fixtures.storeOptions(etcd.endpoints(), prefix, "applier")
        .build());
    closeables.add(storeApplier);
    List<InetSocketAddress> all = List.of(address(a.port()), address(ports[0]), address(ports[1]));
    List<Agent> agents = new ArrayList<>();
    List<Recorder> recorders = new ArrayList<>();
    for (int i = 0; i < AGENTS; i++) {
      List<InetSocketAddress> endpoints = new ArrayList<>();
      for (int k = 0; k < all.size(); k++) {
        endpoints.add(all.get((i + k) % all.size()));
      }
      Recorder recorder = new Recorder();
      Agent agent = Fixtures.agent("node-" + i, recorder, endpoints);
      closeables.add(agent);
      agents.add(agent);
      recorders.add(recorder);
    }
    Fixtures.await("all agents connected", () -> agents.stream().allMatch(x -> x.session().isPresent()));

    Random random = new Random(7);
    List<Long> returned = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 1; round <= ROUNDS; round++) {
        if (round % 6 == 1) {
          etcd.kill(random.nextInt(3));
        } else if (round % 6 == 3) {
          for (int m = 0; m < 3; m++) {
            restartIfDown(etcd, m);
          }
        } else if (round % 6 == 4) {
          int victim = random.nextInt(2);
          replicas[victim].destroyForcibly();
          replicas[victim].waitFor(10, TimeUnit.SECONDS);
          replicas[victim] = startChild(etcd, prefix, victim == 0 ? "b" : "c", ports[victim]);
        }
        int r = round;
        List<Future<?>> applies = new ArrayList<>();
        applies.add(pool.submit(() -> apply(() -> a.apply("payments", text("a" + r)), returned)));
        applies.add(pool.submit(() -> apply(() -> storeApplier.append("payments", text("x" + r)).version(), returned)));
        for (Future<?> f : applies) {
          f.get(60, TimeUnit.SECONDS);
        }
        Thread.sleep(200);
      }
    } finally {
      pool.shutdownNow();
    }
    for (int m = 0; m < 3; m++) {
      restartIfDown(etcd, m);
    }
    long last = a.apply("payments", text("final"));

    assertThat(new HashSet<>(returned)).as("every returned version distinct").hasSize(returned.size());
    assertThat(returned.size()).as("applies that returned").isGreaterThanOrEqualTo(ROUNDS);
    for (int i = 0; i < AGENTS; i++) {
      assertThat(agents.get(i).awaitApplied("payments", last, Duration.ofSeconds(60))).as("node-" + i).isTrue();
      Fixtures.assertIncreasing(recorders.get(i), "payments");
      assertThat(recorders.get(i).applied.get(recorders.get(i).applied.size() - 1))
          .isEqualTo("payments@" + last + "=final");
    }
    Fixtures.await("A lists the whole fleet", () -> a.nodes().stream().filter(NodeView::connected).count() == AGENTS);
  }

  interface Apply {
    long run();
  }

  private static Object apply(Apply apply, List<Long> returned) {
    try {
      returned.add(apply.run());
    } catch (StoreException e) {
      // a member or the leader was just killed: allowed to fail, never to duplicate
      assertThat(e.isUnavailable()).as(e.toString()).isTrue();
    }
    return null;
  }

  private static void restartIfDown(EtcdCluster etcd, int member) throws Exception {
    if (!etcd.alive(member)) {
      etcd.restart(member);
    }
  }

  static byte[] text(String s) {
    return s.getBytes(UTF_8);
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private Process startChild(EtcdCluster etcd, String prefix, String replicaId, int port) throws Exception {
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), ReplicaMain.class.getName(),
        etcd.endpoints().stream().map(Object::toString).collect(Collectors.joining(",")), prefix, replicaId,
        Integer.toString(port));
    Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    children.add(child);
    BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), UTF_8));
    String line = CompletableFuture.supplyAsync(() -> {
      try {
        return out.readLine();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).get(60, TimeUnit.SECONDS);
    assertThat(line).as("replica " + replicaId + " started").isEqualTo("port " + port);
    return child;
  }
}
