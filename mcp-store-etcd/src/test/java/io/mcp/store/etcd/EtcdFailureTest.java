package io.mcp.store.etcd;

import static io.mcp.store.etcd.Fixtures.address;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.core.Agent;
import io.mcp.core.Controller;
import io.mcp.core.LoadShedding;
import io.mcp.core.spi.StoreException;
import io.mcp.store.etcd.Fixtures.Recorder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Replicas while etcd fails: a member of three killed (applies continue), and every member stopped
 * (applies fail with UNAVAILABLE, agents keep their configuration, everything recovers). Each test
 * starts its own etcd.
 */
class EtcdFailureTest {
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private <T extends AutoCloseable> T track(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  private Controller replica(EtcdCluster etcd, String replicaId) {
    EtcdConfigStore store = track(EtcdConfigStore.open(
        Fixtures.storeOptions(etcd.endpoints(), "/failure", replicaId).build()));
    return track(Fixtures.controller(store, LoadShedding.disabled()));
  }

  static byte[] text(String s) {
    return s.getBytes(UTF_8);
  }

  @Test
  void oneMemberOfThreeKilled_appliesContinueAndReachAgents() throws Exception {
    EtcdCluster etcd = track(EtcdCluster.start(3));
    Controller a = replica(etcd, "a");
    Controller b = replica(etcd, "b");
    Recorder recorder = new Recorder();
    Agent agent = track(Fixtures.agent("node-1", recorder, List.of(address(b.port()))));
    long v1 = a.apply("payments", text("v1"));
    assertThat(agent.awaitApplied("payments", v1, Fixtures.WAIT)).isTrue();

    etcd.kill(0);
    List<Long> versions = new ArrayList<>();
    for (int i = 2; i <= 6; i++) {
      versions.add((i % 2 == 0 ? a : b).apply("payments", text("v" + i)));
    }

    assertThat(versions).containsExactly(2L, 3L, 4L, 5L, 6L);
    assertThat(agent.awaitApplied("payments", 6, Fixtures.WAIT)).isTrue();
    Fixtures.assertIncreasing(recorder, "payments");
    etcd.restart(0);
    assertThat(a.apply("payments", text("v7"))).isEqualTo(7);
    assertThat(agent.awaitApplied("payments", 7, Fixtures.WAIT)).isTrue();
  }

  @Test
  void etcdStopped_appliesFailUnavailable_agentsKeepConfig_allRecoversWhenBack() throws Exception {
    EtcdCluster etcd = track(EtcdCluster.start(1));
    Controller a = replica(etcd, "a");
    Controller b = replica(etcd, "b");
    Recorder onA = new Recorder();
    Agent agent = track(Fixtures.agent("node-1", onA, List.of(address(a.port()))));
    assertThat(agent.awaitApplied("payments", b.apply("payments", text("v1")), Fixtures.WAIT)).isTrue();

    etcd.kill(0);
    assertThatThrownBy(() -> a.apply("payments", text("lost")))
        .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.isUnavailable()).isTrue())
        .hasMessageContaining("etcd");
    assertThat(agent.appliedVersion("payments")).hasValue(1);
    assertThat(agent.session()).as("the agent stays connected to its replica").isPresent();
    assertThat(onA.applied).containsExactly("payments@1=v1");

    etcd.restart(0);
    // A failed apply may still have been committed (the store says so): the next version is 2 or 3.
    long next = b.apply("payments", text("after"));
    assertThat(next).isBetween(2L, 3L);
    assertThat(agent.awaitApplied("payments", next, Fixtures.WAIT)).as("A's watch came back").isTrue();
    assertThat(onA.applied.get(onA.applied.size() - 1)).isEqualTo("payments@" + next + "=after");
    Fixtures.assertIncreasing(onA, "payments");
  }
}
