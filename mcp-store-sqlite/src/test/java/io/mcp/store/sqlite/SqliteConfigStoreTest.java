package io.mcp.store.sqlite;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.core.spi.ConfigStore;
import io.mcp.core.spi.ConfigStoreContract;
import io.mcp.core.spi.ConfigVersion;
import io.mcp.core.spi.NodeRecord;
import io.mcp.core.spi.StoreException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SqliteConfigStore} against the {@link ConfigStore} contract (durable), and SQLite specifics. */
class SqliteConfigStoreTest extends ConfigStoreContract {
  @TempDir Path dir;
  private final AtomicInteger files = new AtomicInteger();
  private final Map<ConfigStore, SqliteStoreOptions> settings = new IdentityHashMap<>();

  @Override
  protected ConfigStore newStore() {
    return newStore(SqliteStoreOptions.defaults().historyLimit());
  }

  @Override
  protected ConfigStore newStore(int historyLimit) {
    return open(dir.resolve("store-" + files.incrementAndGet() + ".db"),
        SqliteStoreOptions.builder().historyLimit(historyLimit).build());
  }

  @Override
  protected ConfigStore reopen(ConfigStore closed) {
    SqliteConfigStore previous = (SqliteConfigStore) closed;
    return open(previous.file(), settings.get(previous));
  }

  private SqliteConfigStore open(Path file, SqliteStoreOptions options) {
    SqliteConfigStore store = SqliteConfigStore.open(file, options);
    settings.put(store, options);
    return store;
  }

  static byte[] text(String s) {
    return s.getBytes(UTF_8);
  }

  static Connection jdbc(Path file) throws SQLException {
    return DriverManager.getConnection("jdbc:sqlite:" + file);
  }

  static String query(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  static void execute(Connection c, String... statements) throws SQLException {
    try (Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  // ---------------------------------------------------------------------------------- pragmas

  @Test
  void open_bothConnections_walSynchronousFullForeignKeys() {
    try (SqliteConfigStore store = SqliteConfigStore.open(dir.resolve("p.db"))) {
      for (boolean onReader : new boolean[] {false, true}) {
        assertThat(store.pragma("journal_mode", onReader)).isEqualToIgnoringCase("wal");
        assertThat(store.pragma("synchronous", onReader)).as("2 is FULL").isEqualTo("2");
        assertThat(store.pragma("foreign_keys", onReader)).isEqualTo("1");
      }
      assertThat(store.pragma("busy_timeout", false)).isEqualTo("5000");
      assertThat(store.pragma("query_only", true)).isEqualTo("1");
    }
  }

  @Test
  void open_newFile_walIsPersistentAndSchemaCurrent() throws Exception {
    Path file = dir.resolve("sub/dir/new.db");
    SqliteConfigStore.open(file).close();

    try (Connection c = jdbc(file)) {
      assertThat(query(c, "PRAGMA journal_mode")).isEqualToIgnoringCase("wal");
      assertThat(query(c, "PRAGMA user_version")).isEqualTo(Integer.toString(Schema.CURRENT_VERSION));
      assertThat(query(c, "PRAGMA application_id")).isEqualTo(Integer.toString(Schema.APPLICATION_ID));
      assertThat(query(c, "PRAGMA integrity_check")).isEqualTo("ok");
    }
  }

  @Test
  void options_busyTimeout_setOnTheConnection() {
    SqliteStoreOptions options = SqliteStoreOptions.builder().busyTimeout(Duration.ofMillis(1234)).build();
    try (SqliteConfigStore store = SqliteConfigStore.open(dir.resolve("b.db"), options)) {
      assertThat(store.pragma("busy_timeout", false)).isEqualTo("1234");
      assertThat(store.pragma("busy_timeout", true)).isEqualTo("1234");
    }
  }

  @Test
  void options_invalid_rejectedNamingTheValue() {
    assertThatThrownBy(() -> SqliteStoreOptions.builder().historyLimit(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("historyLimit 0");
    assertThatThrownBy(() -> SqliteStoreOptions.builder().busyTimeout(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("busyTimeout");
    assertThatThrownBy(() -> SqliteStoreOptions.builder().watchPollInterval(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("watchPollInterval");
    SqliteStoreOptions options = SqliteStoreOptions.builder().historyLimit(7).build();
    assertThat(options.toBuilder().build().historyLimit()).isEqualTo(7);
  }

  @Test
  void createdAt_fromTheConfiguredClock_exactToTheNanosecond() {
    Instant at = Instant.parse("2026-11-26T10:15:30.123456789Z");
    SqliteStoreOptions options = SqliteStoreOptions.builder().clock(Clock.fixed(at, ZoneOffset.UTC)).build();
    Path file = dir.resolve("clock.db");
    try (SqliteConfigStore store = SqliteConfigStore.open(file, options)) {
      assertThat(store.append("payments", text("a")).createdAt()).isEqualTo(at);
    }
    try (SqliteConfigStore store = SqliteConfigStore.open(file)) {
      assertThat(store.latest("payments").orElseThrow().createdAt()).isEqualTo(at);
    }
  }

  // -------------------------------------------------------------------------------- migration

  /** Schema version 1, as the first release wrote it (services and versions, no node ledger). */
  static void writeVersion1(Path file) throws SQLException {
    try (Connection c = jdbc(file)) {
      execute(c,
          "PRAGMA journal_mode = WAL",
          "CREATE TABLE services ( name TEXT NOT NULL PRIMARY KEY,"
              + " last_version INTEGER NOT NULL CHECK (last_version >= 0))",
          "CREATE TABLE versions ( seq INTEGER PRIMARY KEY AUTOINCREMENT,"
              + " service TEXT NOT NULL REFERENCES services (name), version INTEGER NOT NULL CHECK (version >= 1),"
              + " data BLOB NOT NULL, created_at TEXT NOT NULL, UNIQUE (service, version))",
          "INSERT INTO services VALUES ('payments', 7)",
          "INSERT INTO versions (service, version, data, created_at) VALUES"
              + " ('payments', 6, x'00ff01', '2026-01-02T03:04:05Z'),"
              + " ('payments', 7, x'', '2026-01-02T03:04:06.5Z')",
          "PRAGMA application_id = " + Schema.APPLICATION_ID,
          "PRAGMA user_version = 1");
    }
  }

  @Test
  void open_schemaVersion1_migratedKeepingEverything() throws Exception {
    Path file = dir.resolve("v1.db");
    writeVersion1(file);

    try (SqliteConfigStore store = SqliteConfigStore.open(file)) {
      assertThat(store.services()).containsExactly("payments");
      ConfigVersion v6 = store.get("payments", 6).orElseThrow();
      assertThat(v6.dataBytes()).containsExactly(0x00, 0xff, 0x01);
      assertThat(v6.createdAt()).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
      assertThat(store.latest("payments").orElseThrow().size()).isZero();
      assertThat(store.append("payments", text("v8")).version()).isEqualTo(8);
      store.recordRejected("node-1", "payments", 8, "no");
      assertThat(store.nodeRecord("node-1", "payments")).isEqualTo(new NodeRecord("node-1", "payments", 0, 8, "no"));
    }
    try (Connection c = jdbc(file)) {
      assertThat(query(c, "PRAGMA user_version")).isEqualTo(Integer.toString(Schema.CURRENT_VERSION));
      assertThat(query(c, "SELECT count(*) FROM node_ledger")).isEqualTo("1");
    }
  }

  @Test
  void open_newerSchema_refusedNamingPathAndVersions_fileUntouched() throws Exception {
    Path file = dir.resolve("future.db");
    SqliteConfigStore.open(file).close();
    try (Connection c = jdbc(file)) {
      execute(c, "PRAGMA user_version = 99", "CREATE TABLE from_the_future (x)");
    }
    byte[] before = Files.readAllBytes(file);

    assertThatThrownBy(() -> SqliteConfigStore.open(file))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("schema version 99")
        .hasMessageContaining("newer than version " + Schema.CURRENT_VERSION);

    assertThat(Files.readAllBytes(file)).isEqualTo(before);
  }

  @Test
  void open_notAnSqliteFile_clearErrorNamingThePath() throws Exception {
    Path file = dir.resolve("garbage.db");
    byte[] garbage = "this is not a database, just some text that is long enough to be a header.\n"
        .repeat(100).getBytes(UTF_8);
    Files.write(file, garbage);

    assertThatThrownBy(() -> SqliteConfigStore.open(file))
        .isInstanceOf(StoreException.class)
        .hasMessageStartingWith("cannot open config store " + file)
        .hasMessageContaining("not a database");

    assertThat(Files.readAllBytes(file)).isEqualTo(garbage);
  }

  @Test
  void open_corruptedHeader_clearErrorNamingThePath() throws Exception {
    Path file = dir.resolve("corrupt.db");
    try (SqliteConfigStore store = SqliteConfigStore.open(file)) {
      store.append("payments", text("a"));
    }
    byte[] bytes = Files.readAllBytes(file);
    for (int i = 0; i < 16; i++) {
      bytes[i] = (byte) 0xA5; // the magic string "SQLite format 3\0"
    }
    Files.write(file, bytes);

    assertThatThrownBy(() -> SqliteConfigStore.open(file))
        .isInstanceOf(StoreException.class)
        .hasMessageStartingWith("cannot open config store " + file);
  }

  @Test
  void open_anotherApplicationsDatabase_refused() throws Exception {
    Path file = dir.resolve("other.db");
    try (Connection c = jdbc(file)) {
      execute(c, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
    }
    Path tagged = dir.resolve("tagged.db");
    try (Connection c = jdbc(tagged)) {
      execute(c, "PRAGMA application_id = 42", "PRAGMA user_version = 1");
    }
    byte[] before = Files.readAllBytes(file);

    assertThatThrownBy(() -> SqliteConfigStore.open(file))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("another application")
        .hasMessageContaining("customers");
    assertThatThrownBy(() -> SqliteConfigStore.open(tagged))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining(tagged.toString())
        .hasMessageContaining("application_id 0x0000002a");
    assertThat(Files.readAllBytes(file)).as("left as it was, still in rollback-journal mode").isEqualTo(before);
  }

  @Test
  void open_aDirectory_refusedNamingIt() {
    assertThatThrownBy(() -> SqliteConfigStore.open(dir))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining(dir.toString())
        .hasMessageContaining("directory");
  }

  // ------------------------------------------------------------------------------- errors

  @Test
  void closedStore_everyOperationFailsNamingOperationAndService() {
    SqliteConfigStore store = SqliteConfigStore.open(dir.resolve("closed.db"));
    store.append("payments", text("a"));
    store.close();

    assertThatThrownBy(() -> store.append("payments", text("b")))
        .isInstanceOf(StoreException.class).hasMessageContaining("append to service payments")
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> store.latest("payments"))
        .isInstanceOf(StoreException.class).hasMessageContaining("latest of service payments");
    assertThatThrownBy(() -> store.get("payments", 1))
        .isInstanceOf(StoreException.class).hasMessageContaining("version 1 of service payments");
    assertThatThrownBy(() -> store.history("payments", 3))
        .isInstanceOf(StoreException.class).hasMessageContaining("history of service payments");
    assertThatThrownBy(() -> store.recordApplied("node-1", "payments", 1))
        .isInstanceOf(StoreException.class).hasMessageContaining("recordApplied")
        .hasMessageContaining("service payments").hasMessageContaining("node node-1");
    assertThatThrownBy(() -> store.nodeRecord("node-1", "payments"))
        .isInstanceOf(StoreException.class).hasMessageContaining("node node-1 for service payments");
    assertThatThrownBy(() -> store.watch(v -> { }))
        .isInstanceOf(StoreException.class).hasMessageContaining("watch");
  }

  @Test
  void append_failsInTheDatabase_nothingStoredAndTheStoreStillWorks() throws Exception {
    Path file = dir.resolve("fail.db");
    try (SqliteConfigStore store = SqliteConfigStore.open(file)) {
      store.append("payments", text("v1"));
      try (Connection c = jdbc(file)) {
        // Another process's rule that refuses the next insert: the append's transaction rolls back whole.
        execute(c, "CREATE TRIGGER refuse BEFORE INSERT ON versions WHEN NEW.version = 2"
            + " BEGIN SELECT RAISE(ABORT, 'refused by test'); END");
      }

      assertThatThrownBy(() -> store.append("payments", text("v2")))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining("append to service payments failed on " + file)
          .hasMessageContaining("refused by test");
      assertThat(store.latest("payments").orElseThrow().version()).isEqualTo(1);

      try (Connection c = jdbc(file)) {
        execute(c, "DROP TRIGGER refuse");
        assertThat(query(c, "SELECT last_version FROM services WHERE name = 'payments'")).isEqualTo("1");
      }
      assertThat(store.append("payments", text("v2")).version()).as("the number was not consumed").isEqualTo(2);
    }
  }

  // ------------------------------------------------------------------ two stores, one file

  @Test
  void twoStoresOnOneFile_concurrentAppendsNeverShareAVersion() throws Exception {
    Path file = dir.resolve("shared.db");
    try (SqliteConfigStore a = SqliteConfigStore.open(file); SqliteConfigStore b = SqliteConfigStore.open(file)) {
      List<Long> versions = new CopyOnWriteArrayList<>();
      Thread[] threads = new Thread[4];
      for (int t = 0; t < threads.length; t++) {
        SqliteConfigStore store = t % 2 == 0 ? a : b;
        threads[t] = new Thread(() -> {
          for (int i = 0; i < 50; i++) {
            versions.add(store.append("payments", text("x")).version());
          }
        });
        threads[t].start();
      }
      for (Thread thread : threads) {
        thread.join();
      }

      Set<Long> distinct = new HashSet<>(versions);
      assertThat(distinct).hasSize(200);
      assertThat(distinct).allMatch(v -> v >= 1 && v <= 200);
      assertThat(b.latest("payments").orElseThrow().version()).isEqualTo(200);
    }
  }

  @Test
  void twoStoresOnOneFile_watcherSeesTheOthersAppendsInOrder() throws Exception {
    Path file = dir.resolve("watched.db");
    SqliteStoreOptions fastPoll = SqliteStoreOptions.builder().watchPollInterval(Duration.ofMillis(20)).build();
    try (SqliteConfigStore watched = SqliteConfigStore.open(file, fastPoll);
        SqliteConfigStore other = SqliteConfigStore.open(file)) {
      List<String> seen = new CopyOnWriteArrayList<>();
      watched.watch(v -> seen.add(v.service() + "@" + v.version() + "=" + new String(v.dataBytes(), UTF_8)));

      List<String> expected = new ArrayList<>();
      for (int i = 1; i <= 100; i++) {
        SqliteConfigStore writer = i % 3 == 0 ? watched : other;
        ConfigVersion v = writer.append("payments", text("v" + i));
        expected.add("payments@" + v.version() + "=v" + i);
      }

      long deadline = System.nanoTime() + WAIT.toNanos();
      while (seen.size() < expected.size() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(seen).containsExactlyElementsOf(expected);
    }
  }

  @Test
  void ledger_manyConcurrentWriters_groupCommittedAndNeverRegress() throws Exception {
    try (SqliteConfigStore store = SqliteConfigStore.open(dir.resolve("ledger.db"))) {
      Thread[] threads = new Thread[16];
      for (int t = 0; t < threads.length; t++) {
        String node = "node-" + t;
        threads[t] = new Thread(() -> {
          for (int v = 1; v <= 30; v++) {
            store.recordApplied(node, "payments", v);
            store.recordApplied(node, "payments", v - 1); // late and older: ignored
          }
          store.recordRejected(node, "payments", 31, "bad " + node);
        });
        threads[t].start();
      }
      for (Thread thread : threads) {
        thread.join();
      }

      for (int t = 0; t < threads.length; t++) {
        assertThat(store.nodeRecord("node-" + t, "payments"))
            .isEqualTo(new NodeRecord("node-" + t, "payments", 30, 31, "bad node-" + t));
      }
    }
  }

  @Test
  void close_fromInsideAWatcher_doesNotHang() throws Exception {
    SqliteConfigStore store = SqliteConfigStore.open(dir.resolve("selfclose.db"));
    CopyOnWriteArrayList<ConfigVersion> seen = new CopyOnWriteArrayList<>();
    store.watch(v -> {
      seen.add(v);
      store.close();
    });

    store.append("payments", text("a"));

    long deadline = System.nanoTime() + WAIT.toNanos();
    while (seen.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(seen).hasSize(1);
    store.close();
    assertThatThrownBy(() -> store.append("payments", text("b"))).isInstanceOf(StoreException.class);
  }
}
