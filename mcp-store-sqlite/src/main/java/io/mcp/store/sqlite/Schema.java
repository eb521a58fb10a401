package io.mcp.store.sqlite;

import io.mcp.core.spi.StoreException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's schema, its history and its migrations. The file says which schema it has in {@code
 * PRAGMA user_version} and that it is an MCP store in {@code PRAGMA application_id}; both are set
 * in the same transaction as the tables, so a file is never half-migrated.
 *
 * <pre>
 * version  change
 *   1      services (name, last_version): the last number assigned, kept after pruning
 *          versions (seq, service, version, data, created_at): seq orders every append
 *   2      node_ledger (node_id, service, applied_version, rejected_version, rejected_reason)
 * </pre>
 */
final class Schema {
  private static final Logger log = LoggerFactory.getLogger(Schema.class);

  /** {@code PRAGMA application_id} of an MCP store: "MCP1" in ASCII. */
  static final int APPLICATION_ID = 0x4D435031;

  /** Statements that take a file from version {@code i} to {@code i + 1}, at index {@code i}. */
  static final List<List<String>> MIGRATIONS = List.of(
      List.of(
          "CREATE TABLE services ("
              + " name TEXT NOT NULL PRIMARY KEY,"
              + " last_version INTEGER NOT NULL CHECK (last_version >= 0))",
          "CREATE TABLE versions ("
              + " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
              + " service TEXT NOT NULL REFERENCES services (name),"
              + " version INTEGER NOT NULL CHECK (version >= 1),"
              + " data BLOB NOT NULL,"
              + " created_at TEXT NOT NULL,"
              + " UNIQUE (service, version))"),
      List.of(
          "CREATE TABLE node_ledger ("
              + " node_id TEXT NOT NULL,"
              + " service TEXT NOT NULL,"
              + " applied_version INTEGER NOT NULL DEFAULT 0,"
              + " rejected_version INTEGER NOT NULL DEFAULT 0,"
              + " rejected_reason TEXT NOT NULL DEFAULT '',"
              + " PRIMARY KEY (node_id, service)) WITHOUT ROWID"));

  /** The schema version this code reads and writes. */
  static final int CURRENT_VERSION = MIGRATIONS.size();

  private Schema() {}

  /**
   * Brings the database on {@code c} (in autocommit mode) to {@link #CURRENT_VERSION}.
   *
   * @throws StoreException if the file is not an MCP store or has a newer schema
   */
  static void migrate(Connection c, Path file) throws SQLException {
    if (check(c, file) == CURRENT_VERSION) {
      return;
    }
    execute(c, "BEGIN IMMEDIATE");
    boolean committed = false;
    try {
      int from = check(c, file); // again under the write lock: another process may have migrated it
      for (int version = from; version < CURRENT_VERSION; version++) {
        for (String sql : MIGRATIONS.get(version)) {
          execute(c, sql);
        }
      }
      execute(c, "PRAGMA application_id = " + APPLICATION_ID);
      execute(c, "PRAGMA user_version = " + CURRENT_VERSION);
      execute(c, "COMMIT");
      committed = true;
      if (from == 0) {
        log.info("created config store {} (schema version {})", file, CURRENT_VERSION);
      } else if (from < CURRENT_VERSION) {
        log.info("migrated config store {} from schema version {} to {}", file, from, CURRENT_VERSION);
      }
    } finally {
      if (!committed) {
        rollbackQuietly(c);
      }
    }
  }

  /**
   * The file's schema version, after checking (reading only) that this code can open it.
   *
   * @throws StoreException if it is another application's database or has a newer schema
   * @throws SQLException if it is not an SQLite database
   */
  static int check(Connection c, Path file) throws SQLException {
    int applicationId = intPragma(c, "application_id");
    int version = intPragma(c, "user_version");
    if (applicationId == 0 && version == 0) {
      List<String> tables = tables(c);
      if (!tables.isEmpty()) {
        throw new StoreException("cannot open config store " + file + ": it is an SQLite database of"
            + " another application (no MCP application_id, tables " + tables + ")");
      }
      return 0;
    }
    if (applicationId != APPLICATION_ID) {
      throw new StoreException("cannot open config store " + file + ": it is an SQLite database of another"
          + " application (application_id " + String.format("0x%08x", applicationId) + ", expected "
          + String.format("0x%08x", APPLICATION_ID) + ")");
    }
    if (version > CURRENT_VERSION) {
      throw new StoreException("cannot open config store " + file + ": its schema version " + version
          + " is newer than version " + CURRENT_VERSION + ", the newest this mcp-store-sqlite knows;"
          + " open it with the release that wrote it or a newer one");
    }
    if (version < 1) {
      throw new StoreException("cannot open config store " + file + ": invalid schema version " + version);
    }
    return version;
  }

  private static List<String> tables(Connection c) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
            + " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  static int intPragma(Connection c, String name) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA " + name)) {
      if (!rs.next()) {
        throw new SQLException("PRAGMA " + name + " returned nothing");
      }
      return rs.getInt(1);
    }
  }

  static String stringPragma(Connection c, String pragma) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA " + pragma)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  static void execute(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  static void rollbackQuietly(Connection c) {
    try {
      if (c.isClosed()) {
        return;
      }
      execute(c, "ROLLBACK");
    } catch (SQLException e) {
      // "cannot rollback - no transaction is active": SQLite already rolled back (e.g. on SQLITE_FULL)
      log.debug("rollback: {}", e.getMessage());
    }
  }
}
