package io.mcp.core.spi;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link ConfigStore}, for every implementation to pass: extend it and implement
 * {@link #newStore()}. Retention tests run when {@link #newStore(int)} is overridden, durability
 * tests when {@link #reopen(ConfigStore)} is; otherwise they are skipped.
 *
 * <p>Stores are created per test and closed after it. Watch deliveries may be asynchronous: tests
 * wait for them (up to {@link #WAIT}) and never assert on timing.
 */
public abstract class ConfigStoreContract {
  /** How long a test waits for an asynchronous delivery before failing. */
  protected static final Duration WAIT = Duration.ofSeconds(10);

  private final List<ConfigStore> stores = new ArrayList<>();

  /** A new, empty store with the implementation's default settings. */
  protected abstract ConfigStore newStore();

  /**
   * A new, empty store that keeps at most {@code historyLimit} versions per service. The default
   * skips the test that asks for it.
   */
  protected ConfigStore newStore(int historyLimit) {
    Assumptions.abort(getClass().getSimpleName() + " has no configurable history limit");
    throw new AssertionError("unreachable");
  }

  /**
   * A new store over the same durable data and with the same settings as {@code closed}, which the
   * suite has already closed: what a restarted process would open. The default skips the test that
   * asks for it (the store is not durable).
   */
  protected ConfigStore reopen(ConfigStore closed) {
    Assumptions.abort(getClass().getSimpleName() + " is not durable");
    throw new AssertionError("unreachable");
  }

  @AfterEach
  public final void closeContractStores() {
    for (ConfigStore store : stores) {
      store.close();
    }
    stores.clear();
  }

  private ConfigStore store() {
    return track(newStore());
  }

  private ConfigStore store(int historyLimit) {
    return track(newStore(historyLimit));
  }

  private ConfigStore reopened(ConfigStore store) {
    store.close();
    return track(reopen(store));
  }

  private ConfigStore track(ConfigStore store) {
    assertThat(store).as("a new store").isNotNull();
    stores.add(store);
    return store;
  }

  static byte[] text(String s) {
    return s.getBytes(UTF_8);
  }

  static byte[] randomBytes(long seed, int size) {
    byte[] out = new byte[size];
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < size; i++) {
      out[i] = (byte) random.nextInt(256);
    }
    return out;
  }

  static List<Long> versions(List<ConfigVersion> list) {
    return list.stream().map(ConfigVersion::version).collect(Collectors.toList());
  }

  static List<Long> range(long fromInclusive, long toInclusive) {
    return LongStream.rangeClosed(fromInclusive, toInclusive).boxed().collect(Collectors.toList());
  }

  // ------------------------------------------------------------------------------- numbering

  @Test
  public void append_firstVersionOfAService_isOne() {
    ConfigStore store = store();

    ConfigVersion first = store.append("payments", text("a"));

    assertThat(first.service()).isEqualTo("payments");
    assertThat(first.version()).isEqualTo(1);
  }

  @Test
  public void append_sameService_versionsAreConsecutive() {
    ConfigStore store = store();
    List<Long> got = new ArrayList<>();

    for (int i = 0; i < 20; i++) {
      got.add(store.append("payments", text("v" + i)).version());
    }

    assertThat(got).isEqualTo(range(1, 20));
  }

  @Test
  public void append_differentServices_numberedIndependently() {
    ConfigStore store = store();

    store.append("payments", text("p1"));
    store.append("payments", text("p2"));
    store.append("payments", text("p3"));
    ConfigVersion billing = store.append("billing", text("b1"));
    ConfigVersion payments = store.append("payments", text("p4"));

    assertThat(billing.version()).isEqualTo(1);
    assertThat(payments.version()).isEqualTo(4);
    assertThat(store.latest("billing").orElseThrow().dataBytes()).isEqualTo(text("b1"));
  }

  @Test
  public void append_returnedVersion_isWhatReadsReturn() {
    ConfigStore store = store();

    ConfigVersion appended = store.append("payments", text("limits: 10"));

    assertThat(appended.dataBytes()).isEqualTo(text("limits: 10"));
    assertThat(appended.createdAt()).isNotNull();
    ConfigVersion latest = store.latest("payments").orElseThrow();
    ConfigVersion got = store.get("payments", 1).orElseThrow();
    for (ConfigVersion read : List.of(latest, got)) {
      assertThat(read).isEqualTo(appended);
      assertThat(read.createdAt()).as("createdAt round trip").isEqualTo(appended.createdAt());
    }
  }

  @Test
  public void append_callerChangesItsArrayAfterwards_storedBytesUnchanged() {
    ConfigStore store = store();
    byte[] data = text("original");

    ConfigVersion appended = store.append("payments", data);
    data[0] = 'X';

    assertThat(appended.dataBytes()).isEqualTo(text("original"));
    assertThat(store.get("payments", 1).orElseThrow().dataBytes()).isEqualTo(text("original"));
  }

  @Test
  public void append_nullData_throwsAndConsumesNoVersion() {
    ConfigStore store = store();

    assertThatThrownBy(() -> store.append("payments", null)).isInstanceOf(NullPointerException.class);

    assertThat(store.latest("payments")).isEmpty();
    assertThat(store.services()).isEmpty();
    assertThat(store.append("payments", text("a")).version()).isEqualTo(1);
  }

  // ---------------------------------------------------------------------------------- bytes

  @Test
  public void bytes_empty_roundTrip() {
    ConfigStore store = store();

    ConfigVersion appended = store.append("payments", new byte[0]);

    assertThat(appended.size()).isZero();
    assertThat(store.get("payments", appended.version()).orElseThrow().dataBytes()).isEmpty();
    assertThat(store.latest("payments").orElseThrow().size()).isZero();
  }

  @Test
  public void bytes_oneMebibyte_roundTripExactly() {
    ConfigStore store = store();
    byte[] data = randomBytes(42, 1 << 20);

    store.append("payments", data);

    assertThat(store.get("payments", 1).orElseThrow().dataBytes()).isEqualTo(data);
    assertThat(store.history("payments", 1).get(0).dataBytes()).isEqualTo(data);
  }

  @Test
  public void bytes_everyByteValueAndInvalidUtf8_roundTripExactly() {
    ConfigStore store = store();
    byte[] all = new byte[256 * 2];
    for (int i = 0; i < all.length; i++) {
      all[i] = (byte) (255 - i % 256);
    }
    byte[] notUtf8 = {(byte) 0xC3, 0x28, (byte) 0xFF, 0x00, (byte) 0xED, (byte) 0xA0, (byte) 0x80, 0x00};

    store.append("payments", all);
    store.append("payments", notUtf8);

    assertThat(store.get("payments", 1).orElseThrow().dataBytes()).isEqualTo(all);
    assertThat(store.get("payments", 2).orElseThrow().dataBytes()).isEqualTo(notUtf8);
  }

  // ---------------------------------------------------------------------------------- reads

  @Test
  public void reads_unknownService_emptyResults() {
    ConfigStore store = store();
    store.append("payments", text("a"));

    assertThat(store.latest("billing")).isEmpty();
    assertThat(store.get("billing", 1)).isEmpty();
    assertThat(store.history("billing", 10)).isEmpty();
  }

  @Test
  public void latest_afterAppends_isTheNewest() {
    ConfigStore store = store();
    for (int i = 1; i <= 5; i++) {
      store.append("payments", text("v" + i));
    }

    ConfigVersion latest = store.latest("payments").orElseThrow();

    assertThat(latest.version()).isEqualTo(5);
    assertThat(latest.dataBytes()).isEqualTo(text("v5"));
  }

  @Test
  public void get_everyKeptVersion_foundWithItsBytes() {
    ConfigStore store = store();
    for (int i = 1; i <= 5; i++) {
      store.append("payments", text("v" + i));
    }

    for (int i = 1; i <= 5; i++) {
      ConfigVersion got = store.get("payments", i).orElseThrow();
      assertThat(got.service()).isEqualTo("payments");
      assertThat(got.version()).isEqualTo(i);
      assertThat(got.dataBytes()).isEqualTo(text("v" + i));
    }
  }

  @Test
  public void get_versionNeverAssigned_empty() {
    ConfigStore store = store();
    store.append("payments", text("a"));
    store.append("payments", text("b"));

    assertThat(store.get("payments", 0)).isEmpty();
    assertThat(store.get("payments", -1)).isEmpty();
    assertThat(store.get("payments", 3)).isEmpty();
    assertThat(store.get("payments", Long.MAX_VALUE)).isEmpty();
  }

  @Test
  public void history_newestFirst() {
    ConfigStore store = store();
    for (int i = 1; i <= 5; i++) {
      store.append("payments", text("v" + i));
    }

    List<ConfigVersion> history = store.history("payments", 10);

    assertThat(versions(history)).containsExactly(5L, 4L, 3L, 2L, 1L);
    assertThat(history.get(0).dataBytes()).isEqualTo(text("v5"));
    assertThat(history.get(4).dataBytes()).isEqualTo(text("v1"));
  }

  @Test
  public void history_limit_newestOnlyAndZeroGivesNothing() {
    ConfigStore store = store();
    for (int i = 1; i <= 5; i++) {
      store.append("payments", text("v" + i));
    }

    assertThat(versions(store.history("payments", 2))).containsExactly(5L, 4L);
    assertThat(versions(store.history("payments", 1))).containsExactly(5L);
    assertThat(versions(store.history("payments", 5))).containsExactly(5L, 4L, 3L, 2L, 1L);
    assertThat(versions(store.history("payments", Integer.MAX_VALUE))).containsExactly(5L, 4L, 3L, 2L, 1L);
    assertThat(store.history("payments", 0)).isEmpty();
  }

  @Test
  public void history_ofOneService_excludesOthers() {
    ConfigStore store = store();
    store.append("payments", text("p1"));
    store.append("billing", text("b1"));
    store.append("payments", text("p2"));

    assertThat(store.history("payments", 10)).extracting(ConfigVersion::service).containsOnly("payments");
    assertThat(versions(store.history("payments", 10))).containsExactly(2L, 1L);
    assertThat(versions(store.history("billing", 10))).containsExactly(1L);
  }

  // ------------------------------------------------------------------------------ retention

  @Test
  public void retention_beyondTheLimit_oldestPruned() {
    ConfigStore store = store(3);
    for (int i = 1; i <= 10; i++) {
      store.append("payments", text("v" + i));
    }

    assertThat(versions(store.history("payments", 100))).containsExactly(10L, 9L, 8L);
    assertThat(store.get("payments", 7)).isEmpty();
    assertThat(store.get("payments", 1)).isEmpty();
    assertThat(store.get("payments", 8).orElseThrow().dataBytes()).isEqualTo(text("v8"));
    assertThat(store.latest("payments").orElseThrow().version()).isEqualTo(10);
  }

  @Test
  public void retention_afterPruning_numberingNeverReused() {
    ConfigStore store = store(2);
    for (int i = 1; i <= 5; i++) {
      store.append("payments", text("v" + i));
    }

    ConfigVersion next = store.append("payments", text("v6"));

    assertThat(next.version()).isEqualTo(6);
    assertThat(versions(store.history("payments", 100))).containsExactly(6L, 5L);
  }

  @Test
  public void retention_isPerService() {
    ConfigStore store = store(2);
    store.append("billing", text("b1"));
    store.append("billing", text("b2"));
    for (int i = 1; i <= 6; i++) {
      store.append("payments", text("v" + i));
    }

    assertThat(versions(store.history("billing", 100))).containsExactly(2L, 1L);
    assertThat(versions(store.history("payments", 100))).containsExactly(6L, 5L);
  }

  @Test
  public void retention_limitOfOne_keepsOnlyTheLatest() {
    ConfigStore store = store(1);
    for (int i = 1; i <= 4; i++) {
      store.append("payments", text("v" + i));
    }

    assertThat(versions(store.history("payments", 100))).containsExactly(4L);
    assertThat(store.services()).containsExactly("payments");
  }

  // ------------------------------------------------------------------------------- services

  @Test
  public void services_emptyStore_none() {
    assertThat(store().services()).isEmpty();
  }

  @Test
  public void services_eachOnce_sortedLikeJavaStrings() {
    ConfigStore store = store();
    // U+1F600 (a surrogate pair in UTF-16) sorts before U+FFFD in Java, after it in UTF-8 byte order.
    List<String> names = List.of("payments", "billing", "Zeta", "alpha-2", "alpha-10", "\u00e9t\u00e9",
        "\uFFFD", "\uD83D\uDE00", "billing");
    for (String name : names) {
      store.append(name, text(name));
    }

    List<String> expected = new ArrayList<>(new TreeSet<>(names));
    assertThat(store.services()).isEqualTo(expected);
    for (String name : expected) {
      assertThat(store.latest(name).orElseThrow().dataBytes()).isEqualTo(text(name));
    }
  }

  // ---------------------------------------------------------------------------- concurrency

  @Test
  public void append_concurrentThreadsOneService_distinctConsecutiveVersions() throws Exception {
    ConfigStore store = store();
    int threads = 8;
    int perThread = 50;
    Map<Long, byte[]> written = Collections.synchronizedMap(new HashMap<>());

    List<List<Long>> got = runConcurrently(threads, t -> {
      List<Long> mine = new ArrayList<>();
      for (int i = 0; i < perThread; i++) {
        byte[] data = text("thread " + t + " append " + i);
        long version = store.append("payments", data).version();
        written.put(version, data);
        mine.add(version);
      }
      return mine;
    });

    List<Long> all = new ArrayList<>();
    for (List<Long> mine : got) {
      assertThat(mine).as("one thread's versions increase").isSorted();
      all.addAll(mine);
    }
    Collections.sort(all);
    assertThat(all).isEqualTo(range(1, threads * perThread));
    assertThat(store.latest("payments").orElseThrow().version()).isEqualTo(threads * perThread);
    for (ConfigVersion kept : store.history("payments", threads * perThread)) {
      assertThat(kept.dataBytes()).as("bytes of version %d", kept.version()).isEqualTo(written.get(kept.version()));
    }
  }

  @Test
  public void append_concurrentThreadsManyServices_eachNumberedConsecutively() throws Exception {
    ConfigStore store = store();
    int threads = 8;
    int perThread = 40;
    List<String> services = List.of("payments", "billing", "search", "auth");

    List<List<String>> got = runConcurrently(threads, t -> {
      List<String> mine = new ArrayList<>();
      for (int i = 0; i < perThread; i++) {
        String service = services.get((t + i) % services.size());
        mine.add(service + "@" + store.append(service, text(t + "/" + i)).version());
      }
      return mine;
    });

    Map<String, List<Long>> byService = new HashMap<>();
    for (List<String> mine : got) {
      for (String entry : mine) {
        int at = entry.indexOf('@');
        byService.computeIfAbsent(entry.substring(0, at), s -> new ArrayList<>())
            .add(Long.parseLong(entry.substring(at + 1)));
      }
    }
    assertThat(byService.keySet()).containsExactlyInAnyOrderElementsOf(services);
    for (Map.Entry<String, List<Long>> e : byService.entrySet()) {
      List<Long> versions = e.getValue();
      Collections.sort(versions);
      assertThat(versions).as(e.getKey()).isEqualTo(range(1, versions.size()));
    }
  }

  @Test
  public void recordApplied_concurrentThreads_keepsTheHighest() throws Exception {
    ConfigStore store = store();
    int threads = 8;

    List<Long> highest = runConcurrently(threads, t -> {
      SplittableRandom random = new SplittableRandom(t);
      long max = 0;
      for (int i = 0; i < 50; i++) {
        long version = 1 + random.nextInt(1_000);
        store.recordApplied("node-1", "payments", version);
        max = Math.max(max, version);
      }
      return max;
    });

    long expected = highest.stream().mapToLong(Long::longValue).max().orElseThrow();
    assertThat(store.nodeRecord("node-1", "payments").appliedVersion()).isEqualTo(expected);
  }

  /** Runs {@code body(t)} for t in 0..threads-1 on as many threads, started together. */
  static <T> List<T> runConcurrently(int threads, ThreadBody<T> body) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int index = t;
        futures.add(pool.submit((Callable<T>) () -> {
          start.await();
          return body.run(index);
        }));
      }
      start.countDown();
      List<T> out = new ArrayList<>();
      for (Future<T> future : futures) {
        out.add(future.get(60, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** One thread's work in {@link #runConcurrently}. */
  @FunctionalInterface
  interface ThreadBody<T> {
    T run(int thread) throws Exception;
  }

  // --------------------------------------------------------------------------------- ledger

  @Test
  public void nodeRecord_nothingRecorded_empty() {
    ConfigStore store = store();

    assertThat(store.nodeRecord("node-1", "payments")).isEqualTo(NodeRecord.empty("node-1", "payments"));
  }

  @Test
  public void recordApplied_neverRegresses() {
    ConfigStore store = store();

    store.recordApplied("node-1", "payments", 5);
    store.recordApplied("node-1", "payments", 3);
    assertThat(store.nodeRecord("node-1", "payments").appliedVersion()).isEqualTo(5);
    store.recordApplied("node-1", "payments", 5);
    assertThat(store.nodeRecord("node-1", "payments").appliedVersion()).isEqualTo(5);
    store.recordApplied("node-1", "payments", 7);
    assertThat(store.nodeRecord("node-1", "payments").appliedVersion()).isEqualTo(7);
  }

  @Test
  public void recordRejected_keepsVersionAndReason_appliedUntouched() {
    ConfigStore store = store();
    store.recordApplied("node-1", "payments", 3);

    store.recordRejected("node-1", "payments", 4, "cannot parse line 1");

    assertThat(store.nodeRecord("node-1", "payments"))
        .isEqualTo(new NodeRecord("node-1", "payments", 3, 4, "cannot parse line 1"));
  }

  @Test
  public void recordRejected_newerReplaces_olderIgnored() {
    ConfigStore store = store();

    store.recordRejected("node-1", "payments", 4, "four");
    store.recordRejected("node-1", "payments", 6, "six");
    store.recordRejected("node-1", "payments", 5, "five, late");

    NodeRecord record = store.nodeRecord("node-1", "payments");
    assertThat(record.rejectedVersion()).isEqualTo(6);
    assertThat(record.rejectedReason()).isEqualTo("six");
  }

  @Test
  public void recordApplied_afterRejection_keepsTheRejection() {
    ConfigStore store = store();
    store.recordRejected("node-1", "payments", 4, "bad");

    store.recordApplied("node-1", "payments", 5);

    assertThat(store.nodeRecord("node-1", "payments"))
        .isEqualTo(new NodeRecord("node-1", "payments", 5, 4, "bad"));
  }

  @Test
  public void nodeRecords_manyNodesAtOnce_sameAsOneByOne() {
    ConfigStore store = store();
    store.recordApplied("node-1", "payments", 3);
    store.recordRejected("node-2", "payments", 4, "bad limit");
    store.recordApplied("node-2", "billing", 9);

    java.util.Map<String, NodeRecord> records = store.nodeRecords(List.of("node-1", "node-2", "node-3"), "payments");

    assertThat(records).containsOnlyKeys("node-1", "node-2", "node-3");
    for (String node : List.of("node-1", "node-2", "node-3")) {
      assertThat(records.get(node)).isEqualTo(store.nodeRecord(node, "payments"));
    }
    assertThat(records.get("node-2")).isEqualTo(new NodeRecord("node-2", "payments", 0, 4, "bad limit"));
    assertThat(records.get("node-3")).isEqualTo(NodeRecord.empty("node-3", "payments"));
    assertThat(store.nodeRecords(List.of(), "payments")).isEmpty();
  }

  @Test
  public void ledger_keyedByNodeAndService() {
    ConfigStore store = store();

    store.recordApplied("node-1", "payments", 1);
    store.recordApplied("node-1", "billing", 2);
    store.recordApplied("node-2", "payments", 3);
    store.recordApplied("a:b", "c", 4);
    store.recordApplied("a", "b:c", 5);
    store.recordRejected("node-2", "billing", 6, "no");

    assertThat(store.nodeRecord("node-1", "payments").appliedVersion()).isEqualTo(1);
    assertThat(store.nodeRecord("node-1", "billing").appliedVersion()).isEqualTo(2);
    assertThat(store.nodeRecord("node-2", "payments").appliedVersion()).isEqualTo(3);
    assertThat(store.nodeRecord("a:b", "c").appliedVersion()).isEqualTo(4);
    assertThat(store.nodeRecord("a", "b:c").appliedVersion()).isEqualTo(5);
    assertThat(store.nodeRecord("node-2", "billing")).isEqualTo(new NodeRecord("node-2", "billing", 0, 6, "no"));
    assertThat(store.nodeRecord("node-1", "payments").rejectedVersion()).isZero();
  }

  @Test
  public void recordRejected_reasonRoundTripsExactly() {
    ConfigStore store = store();
    String unicode = "r\u00e9gle 3 \u2260 \uD83D\uDE00\n\ttab\u0001";
    String longReason = "x".repeat(20_000);

    store.recordRejected("node-1", "payments", 1, unicode);
    store.recordRejected("node-2", "payments", 1, longReason);
    store.recordRejected("node-3", "payments", 1, "");

    assertThat(store.nodeRecord("node-1", "payments").rejectedReason()).isEqualTo(unicode);
    assertThat(store.nodeRecord("node-2", "payments").rejectedReason()).isEqualTo(longReason);
    assertThat(store.nodeRecord("node-3", "payments")).isEqualTo(new NodeRecord("node-3", "payments", 0, 1, ""));
  }

  @Test
  public void ledger_independentOfVersions() {
    ConfigStore store = store();

    store.recordApplied("node-1", "never-applied", 9);

    assertThat(store.services()).isEmpty();
    assertThat(store.nodeRecord("node-1", "never-applied").appliedVersion()).isEqualTo(9);
  }

  // ---------------------------------------------------------------------------------- watch

  /** A listener that records what it is given. */
  static final class Recording implements Consumer<ConfigVersion> {
    final List<ConfigVersion> seen = new CopyOnWriteArrayList<>();

    @Override
    public void accept(ConfigVersion version) {
      seen.add(version);
    }

    /** Waits until {@code count} versions were seen; fails after {@link #WAIT}. */
    List<ConfigVersion> await(int count) throws InterruptedException {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (seen.size() < count && System.nanoTime() < deadline) {
        Thread.sleep(2);
      }
      assertThat(seen).as("versions delivered to the watcher").hasSizeGreaterThanOrEqualTo(count);
      return new ArrayList<>(seen);
    }

    List<String> keys() {
      return seen.stream().map(v -> v.service() + "@" + v.version()).collect(Collectors.toList());
    }
  }

  @Test
  public void watch_everyLaterAppend_deliveredInVersionOrderPerService() throws Exception {
    ConfigStore store = store();
    Recording watcher = new Recording();
    store.watch(watcher);
    List<ConfigVersion> appended = new ArrayList<>();

    for (int i = 0; i < 30; i++) {
      String service = List.of("payments", "billing", "search").get(i % 3);
      appended.add(store.append(service, text(service + i)));
    }

    List<ConfigVersion> seen = watcher.await(appended.size());
    assertThat(seen).containsExactlyInAnyOrderElementsOf(appended);
    for (String service : List.of("payments", "billing", "search")) {
      assertThat(seen.stream().filter(v -> v.service().equals(service)).map(ConfigVersion::version))
          .as(service).containsExactlyElementsOf(range(1, 10));
    }
  }

  @Test
  public void watch_deliveredVersion_hasTheStoredBytes() throws Exception {
    ConfigStore store = store();
    Recording watcher = new Recording();
    store.watch(watcher);
    byte[] big = randomBytes(7, 256 * 1024);

    store.append("payments", big);
    store.append("payments", new byte[0]);

    List<ConfigVersion> seen = watcher.await(2);
    assertThat(seen.get(0).dataBytes()).isEqualTo(big);
    assertThat(seen.get(1).size()).isZero();
  }

  @Test
  public void watch_onlyVersionsAppendedAfterTheCall() throws Exception {
    ConfigStore store = store();
    store.append("payments", text("before"));
    Recording watcher = new Recording();

    store.watch(watcher);
    store.append("payments", text("after"));

    assertThat(watcher.await(1)).hasSize(1);
    assertThat(watcher.keys()).containsExactly("payments@2");
  }

  @Test
  public void watch_twoWatchers_bothGetEverything() throws Exception {
    ConfigStore store = store();
    Recording first = new Recording();
    Recording second = new Recording();
    store.watch(first);
    store.watch(second);

    for (int i = 0; i < 10; i++) {
      store.append("payments", text("v" + i));
    }

    assertThat(first.await(10)).isEqualTo(second.await(10));
    assertThat(versions(first.seen)).isEqualTo(range(1, 10));
  }

  @Test
  public void watch_closed_noMoreCalls() throws Exception {
    ConfigStore store = store();
    Recording closedOne = new Recording();
    AutoCloseable handle = store.watch(closedOne);
    store.append("payments", text("v1"));
    closedOne.await(1);

    handle.close();
    handle.close(); // idempotent
    Recording barrier = new Recording(); // registered later, so it is called after the closed one would be
    store.watch(barrier);
    store.append("payments", text("v2"));
    store.append("billing", text("b1"));
    barrier.await(2);

    assertThat(closedOne.keys()).containsExactly("payments@1");
  }

  @Test
  public void watch_concurrentAppendsToOneService_deliveredInVersionOrder() throws Exception {
    ConfigStore store = store();
    Recording watcher = new Recording();
    store.watch(watcher);
    int threads = 4;
    int perThread = 100;

    runConcurrently(threads, t -> {
      for (int i = 0; i < perThread; i++) {
        store.append("payments", text(t + "/" + i));
      }
      return null;
    });

    watcher.await(threads * perThread);
    assertInVersionOrder(versions(watcher.seen), threads * perThread);
  }

  /** Asserts that {@code got} is 1..count, naming the first place where it is not. */
  static void assertInVersionOrder(List<Long> got, int count) {
    for (int i = 0; i < Math.max(got.size(), count); i++) {
      long expected = i + 1;
      if (i >= got.size() || i >= count || got.get(i) != expected) {
        throw new AssertionError("expected versions 1.." + count + " in order, got " + got.size()
            + " versions, the first unexpected at index " + i + ": "
            + got.subList(Math.max(0, i - 3), Math.min(got.size(), i + 4)));
      }
    }
  }

  @Test
  public void watch_listenerThrows_appendSucceedsAndOtherWatchersCalled() throws Exception {
    ConfigStore store = store();
    store.watch(v -> {
      throw new IllegalStateException("a broken watcher");
    });
    Recording healthy = new Recording();
    store.watch(healthy);

    ConfigVersion first = store.append("payments", text("v1"));
    ConfigVersion second = store.append("payments", text("v2"));

    assertThat(first.version()).isEqualTo(1);
    assertThat(second.version()).isEqualTo(2);
    assertThat(healthy.await(2)).containsExactly(first, second);
    assertThat(store.latest("payments").orElseThrow().version()).isEqualTo(2);
  }

  // ---------------------------------------------------------------------------------- close

  @Test
  public void close_twice_noError() {
    ConfigStore store = newStore();

    store.close();
    store.close();
  }

  // ----------------------------------------------------------------------------- durability

  @Test
  public void reopen_keepsVersionsBytesAndOrder() {
    ConfigStore store = store();
    byte[] big = randomBytes(3, 1 << 20);
    ConfigVersion p1 = store.append("payments", text("p1"));
    ConfigVersion p2 = store.append("payments", big);
    ConfigVersion p3 = store.append("payments", new byte[0]);
    ConfigVersion b1 = store.append("billing", text("b1"));

    ConfigStore again = reopened(store);

    assertThat(again.services()).containsExactly("billing", "payments");
    assertThat(again.history("payments", 10)).containsExactly(p3, p2, p1);
    assertThat(again.get("payments", 2).orElseThrow().dataBytes()).isEqualTo(big);
    assertThat(again.get("payments", 2).orElseThrow().createdAt()).isEqualTo(p2.createdAt());
    assertThat(again.latest("billing")).contains(b1);
  }

  @Test
  public void reopen_numberingContinues() {
    ConfigStore store = store();
    store.append("payments", text("p1"));
    store.append("payments", text("p2"));

    ConfigStore again = reopened(store);

    assertThat(again.append("payments", text("p3")).version()).isEqualTo(3);
    assertThat(again.append("billing", text("b1")).version()).isEqualTo(1);
  }

  @Test
  public void reopen_afterPruning_numberingNeverReused() {
    ConfigStore store = store(2);
    for (int i = 1; i <= 5; i++) {
      store.append("payments", text("v" + i));
    }

    ConfigStore again = reopened(store);

    assertThat(versions(again.history("payments", 100))).containsExactly(5L, 4L);
    assertThat(again.append("payments", text("v6")).version()).isEqualTo(6);
    assertThat(versions(again.history("payments", 100))).containsExactly(6L, 5L);
  }

  @Test
  public void reopen_keepsTheLedger() {
    ConfigStore store = store();
    store.recordApplied("node-1", "payments", 7);
    store.recordRejected("node-1", "payments", 8, "bad value");
    store.recordApplied("node-2", "payments", 3);

    ConfigStore again = reopened(store);

    assertThat(again.nodeRecord("node-1", "payments")).isEqualTo(new NodeRecord("node-1", "payments", 7, 8, "bad value"));
    assertThat(again.nodeRecord("node-2", "payments").appliedVersion()).isEqualTo(3);
    again.recordApplied("node-1", "payments", 6);
    assertThat(again.nodeRecord("node-1", "payments").appliedVersion()).as("never regresses across reopen").isEqualTo(7);
  }

  @Test
  public void reopen_watchDeliversNewAppends() throws Exception {
    ConfigStore store = store();
    store.append("payments", text("p1"));
    ConfigStore again = reopened(store);
    Recording watcher = new Recording();

    again.watch(watcher);
    again.append("payments", text("p2"));

    watcher.await(1);
    assertThat(watcher.keys()).containsExactly("payments@2");
  }
}
