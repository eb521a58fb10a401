package io.mcp.store.sqlite;

import io.mcp.core.spi.ConfigStore;
import io.mcp.core.spi.ConfigVersion;
import io.mcp.core.spi.NodeRecord;
import io.mcp.core.spi.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * The embedded, durable {@link ConfigStore}: one SQLite file in WAL mode with {@code
 * synchronous=FULL}, so a version returned by {@link #append} has been committed and synced to the
 * write-ahead log; it survives a crash of the process (and, where the disk honours fsync, of the
 * machine).
 *
 * <ul>
 *   <li>{@link #append} is one {@code BEGIN IMMEDIATE} transaction: it takes the service's last
 *       assigned number from the {@code services} table (kept when old versions are pruned, so a
 *       number is never reused), inserts the version, prunes beyond {@link
 *       SqliteStoreOptions#historyLimit()} and commits. Only then does it return and hand the
 *       version to the watchers.
 *   <li>The schema is versioned ({@code PRAGMA user_version}) and migrated on {@link #open}; a file
 *       written by a newer release, another application's database or a file that is not an SQLite
 *       database is refused with a {@link StoreException} naming the path.
 *   <li>Writes go through one connection, one transaction at a time; reads use a second connection
 *       and never wait for a write's sync. Several processes may share the file: SQLite's locks
 *       serialize their transactions, waiting up to {@link SqliteStoreOptions#busyTimeout()}.
 *   <li>Ledger writes ({@link #recordApplied}, {@link #recordRejected}) are committed in groups:
 *       whichever caller gets the write connection commits every update queued so far in one
 *       transaction, so thousands of ACKs cost a few syncs, not thousands. Each call returns once its
 *       update is committed.
 *   <li>Watchers are called on one thread of the store ({@code mcp-sqlite-watch-<file>}), after
 *       the commit and never under a lock of the store, in commit order (version order per
 *       service); versions appended by another process are found by polling every {@link
 *       SqliteStoreOptions#watchPollInterval()}. A slow watcher delays the others. An exception
 *       from a watcher is logged and does not affect the append or other watchers.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class SqliteConfigStore implements ConfigStore {
  private static final Logger log = LoggerFactory.getLogger(SqliteConfigStore.class);
  private static final Duration WATCHER_STOP_TIMEOUT = Duration.ofSeconds(5);

  private final Path file;
  private final SqliteStoreOptions options;
  private final ReentrantLock writeLock = new ReentrantLock();
  private final Connection writer; // guarded by writeLock
  private final ReentrantLock readLock = new ReentrantLock();
  private final Connection reader; // guarded by readLock
  private final ConcurrentLinkedQueue<LedgerUpdate> ledgerQueue = new ConcurrentLinkedQueue<>();
  private final WatchDispatcher dispatcher;
  private volatile boolean closed;

  private SqliteConfigStore(Path file, SqliteStoreOptions options, Connection writer, Connection reader) {
    this.file = file;
    this.options = options;
    this.writer = writer;
    this.reader = reader;
    this.dispatcher = new WatchDispatcher("mcp-sqlite-watch-" + file.getFileName(), options.watchPollInterval(),
        new DispatcherSource());
  }

  /** {@link #open(Path, SqliteStoreOptions)} with the defaults. */
  public static SqliteConfigStore open(Path databaseFile) {
    return open(databaseFile, SqliteStoreOptions.defaults());
  }

  /**
   * Opens the store in {@code databaseFile}, creating the file (and its directory) if needed and
   * migrating its schema to the current version.
   *
   * @throws StoreException naming the path if it cannot be opened: not an SQLite database, another
   *     application's database, a schema newer than this code, or an I/O error
   */
  public static SqliteConfigStore open(Path databaseFile, SqliteStoreOptions options) {
    Objects.requireNonNull(options, "options");
    Path file = databaseFile.toAbsolutePath().normalize();
    if (Files.isDirectory(file)) {
      throw new StoreException("cannot open config store " + file + ": it is a directory");
    }
    try {
      Path parent = file.getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
    } catch (IOException e) {
      throw new StoreException("cannot open config store " + file + ": cannot create its directory: " + e, e);
    }
    Connection writer = null;
    Connection reader = null;
    try {
      writer = connect(file);
      Schema.execute(writer, "PRAGMA busy_timeout = " + options.busyTimeout().toMillis());
      Schema.check(writer, file); // before anything writes: a file we refuse is left as it was
      configure(writer, options, true);
      Schema.migrate(writer, file);
      reader = connect(file);
      configure(reader, options, false);
      return new SqliteConfigStore(file, options, writer, reader);
    } catch (SQLException e) {
      closeQuietly(reader);
      closeQuietly(writer);
      throw new StoreException("cannot open config store " + file + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(reader);
      closeQuietly(writer);
      throw e;
    }
  }

  private static Connection connect(Path file) throws SQLException {
    return new SQLiteConfig().createConnection("jdbc:sqlite:" + file);
  }

  private static void configure(Connection c, SqliteStoreOptions options, boolean writer) throws SQLException {
    Schema.execute(c, "PRAGMA busy_timeout = " + options.busyTimeout().toMillis());
    if (writer) {
      // Persistent in the file.
      String mode = Schema.stringPragma(c, "journal_mode = WAL");
      if (!"wal".equalsIgnoreCase(mode)) {
        throw new SQLException("journal_mode WAL is not available (got " + mode + ")");
      }
    }
    Schema.execute(c, "PRAGMA synchronous = FULL");
    Schema.execute(c, "PRAGMA foreign_keys = ON");
    if (!writer) {
      Schema.execute(c, "PRAGMA query_only = ON");
    }
  }

  /** The database file (absolute). */
  public Path file() {
    return file;
  }

  public SqliteStoreOptions options() {
    return options;
  }

  // ----------------------------------------------------------------------------------- writes

  @Override
  public ConfigVersion append(String service, byte[] data) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(data, "data");
    byte[] bytes = data.clone(); // the caller may change its array: store and return the same bytes
    String operation = "append to service " + service;
    ConfigVersion stored;
    long seq;
    writeLock.lock();
    try {
      checkOpen(operation);
      Instant createdAt = options.clock().instant();
      boolean committed = false;
      try {
        Schema.execute(writer, "BEGIN IMMEDIATE");
        long version = lastVersion(service) + 1;
        try (PreparedStatement upsert = writer.prepareStatement("INSERT INTO services (name, last_version)"
            + " VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET last_version = excluded.last_version")) {
          upsert.setString(1, service);
          upsert.setLong(2, version);
          upsert.executeUpdate();
        }
        try (PreparedStatement insert = writer.prepareStatement("INSERT INTO versions (service, version, data,"
            + " created_at) VALUES (?, ?, ?, ?)")) {
          insert.setString(1, service);
          insert.setLong(2, version);
          insert.setBytes(3, bytes);
          insert.setString(4, createdAt.toString());
          insert.executeUpdate();
        }
        seq = lastInsertRowid();
        try (PreparedStatement prune = writer.prepareStatement(
            "DELETE FROM versions WHERE service = ? AND version <= ?")) {
          prune.setString(1, service);
          prune.setLong(2, version - options.historyLimit());
          prune.executeUpdate();
        }
        Schema.execute(writer, "COMMIT");
        committed = true;
        stored = ConfigVersion.of(service, version, bytes, createdAt);
      } catch (SQLException e) {
        throw failure(operation, e);
      } finally {
        if (!committed) {
          Schema.rollbackQuietly(writer);
        }
      }
    } finally {
      writeLock.unlock();
    }
    dispatcher.appended(seq, stored);
    return stored;
  }

  /** Under the write transaction: the last number assigned to {@code service}, 0 if none. */
  private long lastVersion(String service) throws SQLException {
    try (PreparedStatement select = writer.prepareStatement("SELECT last_version FROM services WHERE name = ?")) {
      select.setString(1, service);
      try (ResultSet rs = select.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  private long lastInsertRowid() throws SQLException {
    try (Statement s = writer.createStatement(); ResultSet rs = s.executeQuery("SELECT last_insert_rowid()")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Override
  public void recordApplied(String nodeId, String service, long version) {
    record(new LedgerUpdate(Objects.requireNonNull(nodeId, "nodeId"), Objects.requireNonNull(service, "service"),
        version, null));
  }

  @Override
  public void recordRejected(String nodeId, String service, long version, String reason) {
    record(new LedgerUpdate(Objects.requireNonNull(nodeId, "nodeId"), Objects.requireNonNull(service, "service"),
        version, Objects.requireNonNull(reason, "reason")));
  }

  /** Group commit: the caller that gets the write lock commits every queued update, its own among them. */
  private void record(LedgerUpdate update) {
    ledgerQueue.add(update);
    writeLock.lock();
    try {
      if (!update.done) {
        flushLedger();
      }
    } finally {
      writeLock.unlock();
    }
    if (update.failure != null) {
      throw update.failure;
    }
  }

  /** Under the write lock. */
  private void flushLedger() {
    List<LedgerUpdate> batch = new ArrayList<>();
    for (LedgerUpdate u = ledgerQueue.poll(); u != null; u = ledgerQueue.poll()) {
      batch.add(u);
    }
    if (batch.isEmpty()) {
      return;
    }
    if (closed) {
      for (LedgerUpdate u : batch) {
        u.failure = new StoreException(u.operation() + " failed: config store " + file + " is closed");
        u.done = true;
      }
      return;
    }
    boolean committed = false;
    try {
      Schema.execute(writer, "BEGIN IMMEDIATE");
      try (PreparedStatement applied = writer.prepareStatement("INSERT INTO node_ledger (node_id, service,"
          + " applied_version) VALUES (?, ?, ?) ON CONFLICT (node_id, service) DO UPDATE"
          + " SET applied_version = excluded.applied_version"
          + " WHERE excluded.applied_version > node_ledger.applied_version");
          PreparedStatement rejected = writer.prepareStatement("INSERT INTO node_ledger (node_id, service,"
              + " rejected_version, rejected_reason) VALUES (?, ?, ?, ?) ON CONFLICT (node_id, service) DO UPDATE"
              + " SET rejected_version = excluded.rejected_version, rejected_reason = excluded.rejected_reason"
              + " WHERE excluded.rejected_version >= node_ledger.rejected_version")) {
        for (LedgerUpdate u : batch) {
          if (u.reason == null) {
            if (u.version < 1) {
              continue; // nothing applied: never a regression, never a row
            }
            applied.setString(1, u.nodeId);
            applied.setString(2, u.service);
            applied.setLong(3, u.version);
            applied.executeUpdate();
          } else {
            rejected.setString(1, u.nodeId);
            rejected.setString(2, u.service);
            rejected.setLong(3, u.version);
            rejected.setString(4, u.reason);
            rejected.executeUpdate();
          }
        }
      }
      Schema.execute(writer, "COMMIT");
      committed = true;
    } catch (SQLException e) {
      for (LedgerUpdate u : batch) {
        u.failure = failure(u.operation(), e);
      }
    } finally {
      if (!committed) {
        Schema.rollbackQuietly(writer);
      }
      for (LedgerUpdate u : batch) {
        u.done = true;
      }
    }
  }

  /** A ledger write waiting for its group commit; fields are written and read under the write lock. */
  private static final class LedgerUpdate {
    final String nodeId;
    final String service;
    final long version;
    final String reason; // null: applied
    boolean done;
    StoreException failure;

    LedgerUpdate(String nodeId, String service, long version, String reason) {
      this.nodeId = nodeId;
      this.service = service;
      this.version = version;
      this.reason = reason;
    }

    String operation() {
      return (reason == null ? "recordApplied " : "recordRejected ") + "of version " + version + " of service "
          + service + " by node " + nodeId;
    }
  }

  // ------------------------------------------------------------------------------------ reads

  @Override
  public Optional<ConfigVersion> latest(String service) {
    return read("latest of service " + service, c -> {
      try (PreparedStatement select = c.prepareStatement("SELECT version, data, created_at FROM versions"
          + " WHERE service = ? ORDER BY version DESC LIMIT 1")) {
        select.setString(1, service);
        try (ResultSet rs = select.executeQuery()) {
          return rs.next() ? Optional.of(version(service, rs)) : Optional.empty();
        }
      }
    });
  }

  @Override
  public Optional<ConfigVersion> get(String service, long version) {
    if (version < 1) {
      return Optional.empty();
    }
    return read("get version " + version + " of service " + service, c -> {
      try (PreparedStatement select = c.prepareStatement("SELECT version, data, created_at FROM versions"
          + " WHERE service = ? AND version = ?")) {
        select.setString(1, service);
        select.setLong(2, version);
        try (ResultSet rs = select.executeQuery()) {
          return rs.next() ? Optional.of(version(service, rs)) : Optional.empty();
        }
      }
    });
  }

  @Override
  public List<ConfigVersion> history(String service, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    return read("history of service " + service, c -> {
      try (PreparedStatement select = c.prepareStatement("SELECT version, data, created_at FROM versions"
          + " WHERE service = ? ORDER BY version DESC LIMIT ?")) {
        select.setString(1, service);
        select.setInt(2, limit);
        List<ConfigVersion> out = new ArrayList<>();
        try (ResultSet rs = select.executeQuery()) {
          while (rs.next()) {
            out.add(version(service, rs));
          }
        }
        return out;
      }
    });
  }

  private static ConfigVersion version(String service, ResultSet rs) throws SQLException {
    byte[] data = rs.getBytes(2);
    return ConfigVersion.of(service, rs.getLong(1), data == null ? new byte[0] : data, Instant.parse(rs.getString(3)));
  }

  @Override
  public List<String> services() {
    return read("services", c -> {
      List<String> out = new ArrayList<>();
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT name FROM services WHERE last_version > 0")) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      Collections.sort(out); // Java's order (UTF-16), not SQLite's (UTF-8 bytes)
      return out;
    });
  }

  @Override
  public NodeRecord nodeRecord(String nodeId, String service) {
    return read("nodeRecord of node " + nodeId + " for service " + service, c -> {
      try (PreparedStatement select = c.prepareStatement("SELECT applied_version, rejected_version,"
          + " rejected_reason FROM node_ledger WHERE node_id = ? AND service = ?")) {
        select.setString(1, nodeId);
        select.setString(2, service);
        try (ResultSet rs = select.executeQuery()) {
          return rs.next() ? new NodeRecord(nodeId, service, rs.getLong(1), rs.getLong(2), rs.getString(3))
              : NodeRecord.empty(nodeId, service);
        }
      }
    });
  }

  // ------------------------------------------------------------------------------------ watch

  @Override
  public AutoCloseable watch(Consumer<ConfigVersion> listener) {
    Objects.requireNonNull(listener, "listener");
    checkOpen("watch");
    return dispatcher.add(listener);
  }

  /** What the dispatcher reads, through the read connection. */
  private final class DispatcherSource implements WatchDispatcher.Source {
    @Override
    public long lastSeq() {
      return read("watch", c -> {
        try (Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT seq FROM sqlite_sequence WHERE name = 'versions'")) {
          return rs.next() ? rs.getLong(1) : 0L;
        }
      });
    }

    @Override
    public List<WatchDispatcher.Header> after(long seq, int limit) {
      return read("watch", c -> {
        try (PreparedStatement select = c.prepareStatement("SELECT seq, service, version, created_at FROM versions"
            + " WHERE seq > ? ORDER BY seq LIMIT ?")) {
          select.setLong(1, seq);
          select.setInt(2, limit);
          List<WatchDispatcher.Header> out = new ArrayList<>();
          try (ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
              out.add(new WatchDispatcher.Header(rs.getLong(1), rs.getString(2), rs.getLong(3),
                  Instant.parse(rs.getString(4))));
            }
          }
          return out;
        }
      });
    }

    @Override
    public Optional<ConfigVersion> load(WatchDispatcher.Header header) {
      return read("watch", c -> {
        try (PreparedStatement select = c.prepareStatement("SELECT data FROM versions WHERE seq = ?")) {
          select.setLong(1, header.seq());
          try (ResultSet rs = select.executeQuery()) {
            if (!rs.next()) {
              return Optional.empty();
            }
            byte[] data = rs.getBytes(1);
            return Optional.of(ConfigVersion.of(header.service(), header.version(),
                data == null ? new byte[0] : data, header.createdAt()));
          }
        }
      });
    }
  }

  // ---------------------------------------------------------------------------------- closing

  /** Stops the watchers and closes the file; later calls fail with a {@link StoreException}. Idempotent. */
  @Override
  public void close() {
    writeLock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
    } finally {
      writeLock.unlock();
    }
    dispatcher.close(WATCHER_STOP_TIMEOUT);
    readLock.lock();
    try {
      closeQuietly(reader);
    } finally {
      readLock.unlock();
    }
    writeLock.lock();
    try {
      closeQuietly(writer); // the last connection: SQLite checkpoints the WAL into the file
    } finally {
      writeLock.unlock();
    }
  }

  // ---------------------------------------------------------------------------------- helpers

  /** For tests: {@code PRAGMA name} on the write connection, or the read connection. */
  String pragma(String name, boolean onReader) {
    ReentrantLock lock = onReader ? readLock : writeLock;
    lock.lock();
    try {
      checkOpen("PRAGMA " + name);
      return Schema.stringPragma(onReader ? reader : writer, name);
    } catch (SQLException e) {
      throw failure("PRAGMA " + name, e);
    } finally {
      lock.unlock();
    }
  }

  @FunctionalInterface
  private interface SqlFunction<T> {
    T apply(Connection c) throws SQLException;
  }

  private <T> T read(String operation, SqlFunction<T> body) {
    readLock.lock();
    try {
      checkOpen(operation);
      return body.apply(reader);
    } catch (SQLException e) {
      throw failure(operation, e);
    } finally {
      readLock.unlock();
    }
  }

  private void checkOpen(String operation) {
    if (closed) {
      throw new StoreException(operation + " failed: config store " + file + " is closed");
    }
  }

  private StoreException failure(String operation, Exception e) {
    return new StoreException(operation + " failed on " + file + ": " + e.getMessage(), e);
  }

  private static void closeQuietly(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException e) {
      log.warn("closing an SQLite connection failed: {}", e.getMessage());
    }
  }

  @Override
  public String toString() {
    return "SqliteConfigStore{" + file + ", " + options + "}";
  }
}
