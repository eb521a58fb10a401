package io.mcp.store.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.core.spi.ConfigStore;
import io.mcp.core.spi.ConfigStoreContract;
import io.mcp.core.spi.ConfigVersion;
import io.mcp.core.spi.FleetPresence;
import io.mcp.core.spi.NodePresence;
import io.mcp.core.spi.Registries;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link EtcdConfigStore} against the {@link ConfigStore} contract (durable: reopening reads the
 * same keys), and etcd specifics, on one real etcd member. Each store gets its own key prefix.
 */
class EtcdConfigStoreTest extends ConfigStoreContract {
  static EtcdCluster etcd;
  private static final AtomicInteger prefixes = new AtomicInteger();
  private final Map<ConfigStore, EtcdStoreOptions> settings = new IdentityHashMap<>();
  private final List<ConfigStore> extra = new ArrayList<>();

  @BeforeAll
  static void startEtcd() throws Exception {
    etcd = EtcdCluster.start(1);
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    if (etcd != null) {
      etcd.close();
    }
  }

  @org.junit.jupiter.api.AfterEach
  void closeExtra() {
    for (ConfigStore store : extra) {
      store.close();
    }
  }

  static EtcdStoreOptions.Builder options() {
    return EtcdStoreOptions.builder(etcd.endpoints()).keyPrefix("/test/" + prefixes.incrementAndGet())
        .leaseTtl(Duration.ofSeconds(2));
  }

  @Override
  protected ConfigStore newStore() {
    return open(options().build());
  }

  @Override
  protected ConfigStore newStore(int historyLimit) {
    return open(options().historyLimit(historyLimit).build());
  }

  @Override
  protected ConfigStore reopen(ConfigStore closed) {
    return open(settings.get(closed));
  }

  private EtcdConfigStore open(EtcdStoreOptions options) {
    EtcdConfigStore store = EtcdConfigStore.open(options);
    settings.put(store, options);
    return store;
  }

  /** A second store (another replica) on the same keys as {@code store}. */
  private EtcdConfigStore replicaOf(ConfigStore store) {
    EtcdConfigStore other = EtcdConfigStore.open(settings.get(store).toBuilder().replicaId("replica-b").build());
    extra.add(other);
    return other;
  }

  private EtcdConfigStore tracked(EtcdStoreOptions options) {
    EtcdConfigStore store = open(options);
    extra.add(store);
    return store;
  }

  static byte[] text(String s) {
    return s.getBytes(UTF_8);
  }

  static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().collect(Collectors.toList());
  }

  static void awaitSize(List<?> list, int size) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (list.size() < size && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(list).hasSizeGreaterThanOrEqualTo(size);
  }

  @Test
  void append_twoReplicasConcurrently_distinctConsecutiveVersions() throws Exception {
    EtcdConfigStore a = tracked(options().build());
    EtcdConfigStore b = replicaOf(a);
    List<Long> got = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        EtcdConfigStore store = t % 2 == 0 ? a : b;
        int thread = t;
        futures.add(pool.submit(() -> {
          long previous = 0;
          for (int i = 0; i < 25; i++) {
            long v = store.append("payments", text(thread + "/" + i)).version();
            assertThat(v).isGreaterThan(previous);
            previous = v;
            got.add(v);
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    List<Long> sorted = new ArrayList<>(got);
    Collections.sort(sorted);
    assertThat(sorted).isEqualTo(range(1, 100));
    assertThat(b.latest("payments").orElseThrow().version()).isEqualTo(100);
  }

  @Test
  void watch_appendOnAnotherReplica_delivered() throws Exception {
    EtcdConfigStore a = tracked(options().build());
    EtcdConfigStore b = replicaOf(a);
    List<ConfigVersion> seen = new CopyOnWriteArrayList<>();
    b.watch(seen::add);

    ConfigVersion appended = a.append("payments", text("from a"));

    awaitSize(seen, 1);
    assertThat(seen).containsExactly(appended);
  }

  @Test
  void watch_revisionCompactedWhileDisconnected_missedVersionsDeliveredOnceInOrder() throws Exception {
    EtcdConfigStore a = tracked(options().build());
    EtcdConfigStore b = replicaOf(a);
    List<ConfigVersion> seen = new CopyOnWriteArrayList<>();
    WatchHandle handle = (WatchHandle) b.watch(seen::add);
    a.append("payments", text("v1"));
    awaitSize(seen, 1);
    long revisionBefore = a.client().getKVClient().get(Keys.bytes("/none")).get().getHeader().getRevision();

    handle.pauseForTest();
    for (int i = 2; i <= 6; i++) {
      a.append("payments", text("v" + i));
    }
    a.append("billing", text("b1"));
    long now = a.client().getKVClient().get(Keys.bytes("/none")).get().getHeader().getRevision();
    a.client().getKVClient().compact(now).get();
    handle.resumeFromForTest(revisionBefore + 1); // etcd answers: compacted; the handle resynchronises

    awaitSize(seen, 7);
    a.append("payments", text("v7"));
    awaitSize(seen, 8);
    assertThat(seen.stream().filter(v -> v.service().equals("payments")).map(ConfigVersion::version))
        .containsExactlyElementsOf(range(1, 7));
    assertThat(seen.stream().filter(v -> v.service().equals("billing")).map(ConfigVersion::version))
        .containsExactly(1L);
    assertThat(seen.get(3).dataBytes()).isEqualTo(text("v4"));
  }

  @Test
  void ledger_writtenByTwoReplicas_neverRegressesDespiteEachOnesCache() {
    EtcdConfigStore a = tracked(options().build());
    EtcdConfigStore b = replicaOf(a);

    a.recordApplied("node-1", "payments", 5);
    b.recordApplied("node-1", "payments", 7);
    a.recordApplied("node-1", "payments", 6); // a's cached entry (5) is stale: still ignored
    assertThat(b.nodeRecord("node-1", "payments").appliedVersion()).isEqualTo(7);
    a.recordRejected("node-1", "payments", 9, "bad"); // stale revision: re-read, then written
    a.recordApplied("node-1", "payments", 8);

    io.mcp.core.spi.NodeRecord expected = new io.mcp.core.spi.NodeRecord("node-1", "payments", 8, 9, "bad");
    assertThat(a.nodeRecord("node-1", "payments")).as("read after a's own pending write").isEqualTo(expected);
    assertThat(b.nodeRecord("node-1", "payments")).isEqualTo(expected);
  }

  @Test
  void ledger_concurrentBatchesOfTwoReplicas_keepTheHighestOfEveryNode() throws Exception {
    EtcdConfigStore a = tracked(options().build());
    EtcdConfigStore b = replicaOf(a);
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (int t = 0; t < 6; t++) {
        EtcdConfigStore store = t % 2 == 0 ? a : b;
        int thread = t;
        runs.add(pool.submit(() -> {
          for (int v = 1; v <= 30; v++) {
            for (int n = 0; n < 5; n++) {
              store.recordApplied("node-" + n, "payments", v * 10L + thread);
            }
          }
          return null;
        }));
      }
      for (Future<?> run : runs) {
        run.get();
      }
    } finally {
      pool.shutdownNow();
    }

    for (int n = 0; n < 5; n++) {
      b.nodeRecord("node-" + n, "payments"); // waits for b's queued writes of the node
      assertThat(a.nodeRecord("node-" + n, "payments").appliedVersion()).isEqualTo(305);
    }
  }

  @Test
  void presence_nodesOfEveryReplica_andReplicaThatDiesDropsOutWithItsLease() throws Exception {
    EtcdConfigStore a = tracked(options().replicaId("replica-a").build());
    EtcdConfigStore b = replicaOf(a);
    a.replicaStarted();
    b.replicaStarted();
    a.nodeConnected(new NodePresence("replica-a", "node-1", Set.of("payments"), Map.of("zone", "a"), Instant.now(), Map.of()));
    b.nodeConnected(new NodePresence("replica-b", "node-2", Set.of("payments"), Map.of(), Instant.now(), Map.of()));
    a.recordApplied("node-2", "payments", 4);

    FleetPresence.Fleet fleet = a.fleet();
    assertThat(fleet.replicaIds()).containsExactly("replica-a", "replica-b");
    assertThat(fleet.nodes()).extracting(NodePresence::nodeId).containsExactly("node-1", "node-2");
    assertThat(fleet.nodes().get(0).metadata()).containsEntry("zone", "a");
    assertThat(fleet.nodes().get(1).replicaId()).isEqualTo("replica-b");
    assertThat(fleet.nodes().get(1).appliedVersions()).containsEntry("payments", 4L);

    b.nodeDisconnected("node-2");
    assertThat(a.fleet().nodes()).extracting(NodePresence::nodeId).containsExactly("node-1");
    b.nodeConnected(new NodePresence("replica-b", "node-3", Set.of("payments"), Map.of(), Instant.now(), Map.of()));

    b.abandon(); // dies: no revoke, no more keep-alives; the 2 s lease expires
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (a.fleet().replicaIds().size() > 1 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    fleet = a.fleet();
    assertThat(fleet.replicaIds()).containsExactly("replica-a");
    assertThat(fleet.nodes()).extracting(NodePresence::nodeId).containsExactly("node-1");
  }

  @Test
  void watchNodes_announcementsAndLeaseExpiry_reportedWithTheNode() throws Exception {
    EtcdConfigStore a = tracked(options().replicaId("replica-a").build());
    EtcdConfigStore b = replicaOf(a);
    List<FleetPresence.Change> seen = new CopyOnWriteArrayList<>();
    a.watchNodes(seen::add);

    b.replicaStarted();
    b.nodeConnected(new NodePresence("replica-b", "node-1", Set.of("payments"), Map.of("zone", "b"), Instant.now(),
        Map.of()));
    b.nodeConnected(new NodePresence("replica-b", "node-2", Set.of("billing"), Map.of(), Instant.now(), Map.of()));
    b.nodeDisconnected("node-2");
    awaitSize(seen, 3);
    b.abandon(); // the lease expires after 2 s: node-1's entry is deleted by etcd

    awaitSize(seen, 4);
    assertThat(seen).extracting(c -> (c.connected() ? "+" : "-") + c.node().replicaId() + "/" + c.node().nodeId())
        .containsExactly("+replica-b/node-1", "+replica-b/node-2", "-replica-b/node-2", "-replica-b/node-1");
    assertThat(seen.get(3).node().services()).as("named from the previous value").containsExactly("payments");
    assertThat(seen.get(0).node().metadata()).containsEntry("zone", "b");
  }

  @Test
  void presence_keptAliveBeyondTheTtl() throws Exception {
    EtcdConfigStore a = tracked(options().replicaId("replica-a").build());
    a.replicaStarted();
    a.nodeConnected(new NodePresence("replica-a", "node-1", Set.of("payments"), Map.of(), Instant.now(), Map.of()));
    EtcdConfigStore observer = replicaOf(a);

    // three TTLs: without keep-alives the entries would be gone
    long until = System.nanoTime() + Duration.ofSeconds(6).toNanos();
    while (System.nanoTime() < until) {
      assertThat(observer.fleet().nodes()).extracting(NodePresence::nodeId).containsExactly("node-1");
      Thread.sleep(500);
    }
    a.replicaStopped();
    assertThat(observer.fleet().nodes()).isEmpty();
    assertThat(observer.fleet().replicaIds()).isEmpty();
  }

  @Test
  void append_aboveMaxConfigBytes_rejectedNamingTheLimit() {
    EtcdConfigStore store = tracked(options().maxConfigBytes(10).build());

    assertThatThrownBy(() -> store.append("payments", new byte[11]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("11 bytes").hasMessageContaining("maxConfigBytes 10");
    assertThat(store.latest("payments")).isEmpty();
  }

  @Test
  void keys_serviceNamesWithSlashesAndPercent_keptApart() {
    EtcdConfigStore store = tracked(options().build());

    store.append("a/b", text("1"));
    store.append("a", text("2"));
    store.append("a%2Fb", text("3"));

    assertThat(store.services()).containsExactly("a", "a%2Fb", "a/b");
    assertThat(store.latest("a/b").orElseThrow().dataBytes()).isEqualTo(text("1"));
    assertThat(store.history("a", 10)).hasSize(1);
  }

  @Test
  void provider_registeredAsEtcd_opensFromSettings() {
    String endpoints = etcd.endpoints().get(0).toString();
    ConfigStore store = Registries.openStore("etcd", Map.of("endpoints", endpoints, "key-prefix",
        "/test/provider-" + prefixes.incrementAndGet(), "history-limit", "3"));
    extra.add(store);

    assertThat(store).isInstanceOf(EtcdConfigStore.class);
    assertThat(((EtcdConfigStore) store).options().historyLimit()).isEqualTo(3);
    assertThatThrownBy(() -> Registries.openStore("etcd", Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("endpoints");
    assertThatThrownBy(() -> Registries.openStore("etcd", Map.of("endpoints", endpoints, "history-limit", "0")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("history-limit 0 outside 1..1000000");
    assertThatThrownBy(() -> Registries.openStore("etcd", Map.of("endpoints", endpoints, "colour", "red")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown setting colour");
  }
}
