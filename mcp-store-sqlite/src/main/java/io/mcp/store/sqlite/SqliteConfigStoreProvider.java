package io.mcp.store.sqlite;

import io.mcp.core.spi.ConfigStore;
import io.mcp.core.spi.ConfigStoreProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code sqlite}: opens a {@link SqliteConfigStore} by name, for configuration files and command
 * lines ({@link io.mcp.core.spi.Registries#openStore(String, Map)}). Settings:
 *
 * <table>
 *   <caption>Settings of the sqlite store</caption>
 *   <tr><th>setting</th><th>meaning</th></tr>
 *   <tr><td>data-dir</td><td>a directory; the database is {@value #DATABASE_FILE} in it</td></tr>
 *   <tr><td>path</td><td>the database file itself (instead of {@code data-dir})</td></tr>
 *   <tr><td>history-limit</td><td>versions kept per service, at least 1; default 100</td></tr>
 *   <tr><td>busy-timeout-ms</td><td>0..2147483647; default 5000</td></tr>
 *   <tr><td>watch-poll-interval-ms</td><td>at least 1; default 1000</td></tr>
 * </table>
 *
 * <p>Exactly one of {@code data-dir} and {@code path} is required. Thread-safe.
 */
public final class SqliteConfigStoreProvider implements ConfigStoreProvider {
  /** The file name used under {@code data-dir}. */
  public static final String DATABASE_FILE = "controller.db";

  private static final Set<String> KNOWN =
      Set.of("data-dir", "path", "history-limit", "busy-timeout-ms", "watch-poll-interval-ms");

  /** For {@link java.util.ServiceLoader}. */
  public SqliteConfigStoreProvider() {}

  @Override
  public String name() {
    return "sqlite";
  }

  @Override
  public ConfigStore open(Map<String, String> settings) {
    for (String key : settings.keySet()) {
      if (!KNOWN.contains(key)) {
        throw new IllegalArgumentException("unknown setting " + key + " for store sqlite (known: "
            + new TreeSet<>(KNOWN) + ")");
      }
    }
    String dir = blankToNull(settings.get("data-dir"));
    String path = blankToNull(settings.get("path"));
    if ((dir == null) == (path == null)) {
      throw new IllegalArgumentException("store sqlite needs exactly one of the settings data-dir and path");
    }
    Path file = path != null ? Path.of(path) : Path.of(dir).resolve(DATABASE_FILE);
    SqliteStoreOptions.Builder options = SqliteStoreOptions.builder();
    SqliteStoreOptions defaults = SqliteStoreOptions.defaults();
    options.historyLimit((int) number(settings, "history-limit", defaults.historyLimit(), 1, Integer.MAX_VALUE));
    options.busyTimeout(Duration.ofMillis(
        number(settings, "busy-timeout-ms", defaults.busyTimeout().toMillis(), 0, Integer.MAX_VALUE)));
    options.watchPollInterval(Duration.ofMillis(number(settings, "watch-poll-interval-ms",
        defaults.watchPollInterval().toMillis(), 1, Long.MAX_VALUE / 1_000_000)));
    return SqliteConfigStore.open(file, options.build());
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }

  private static long number(Map<String, String> settings, String key, long fallback, long min, long max) {
    String value = blankToNull(settings.get(key));
    if (value == null) {
      return fallback;
    }
    long parsed;
    try {
      parsed = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("setting " + key + "=\"" + value + "\" is not a whole number");
    }
    if (parsed < min || parsed > max) {
      throw new IllegalArgumentException("setting " + key + "=" + parsed + " outside " + min + ".." + max);
    }
    return parsed;
  }
}
