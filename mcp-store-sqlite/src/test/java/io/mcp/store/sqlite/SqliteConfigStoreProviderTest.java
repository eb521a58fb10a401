package io.mcp.store.sqlite;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.core.spi.ConfigStore;
import io.mcp.core.spi.Registries;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sqlite} by name through {@link Registries}: settings, defaults and errors. */
class SqliteConfigStoreProviderTest {
  @TempDir Path dir;

  @Test
  void dataDir_opensControllerDbInIt_throughServiceLoader() throws Exception {
    assertThat(Registries.storeNames()).contains("sqlite", "memory");
    try (ConfigStore store = Registries.openStore("sqlite", Map.of("data-dir", dir.toString(), "history-limit", "2"))) {
      store.append("payments", "a".getBytes(UTF_8));
      store.append("payments", "b".getBytes(UTF_8));
      store.append("payments", "c".getBytes(UTF_8));
      assertThat(store.history("payments", 10)).hasSize(2);
      assertThat(((SqliteConfigStore) store).options().historyLimit()).isEqualTo(2);
    }
    assertThat(Files.exists(dir.resolve("controller.db"))).isTrue();
  }

  @Test
  void path_opensThatFile() throws Exception {
    Path file = dir.resolve("x.db");
    try (ConfigStore store = Registries.openStore("sqlite", Map.of("path", file.toString(), "busy-timeout-ms", "100"))) {
      assertThat(((SqliteConfigStore) store).file()).isEqualTo(file.toAbsolutePath().normalize());
    }
  }

  @Test
  void badSettings_namedInTheError() {
    assertThatThrownBy(() -> Registries.openStore("sqlite", Map.of()))
        .hasMessage("store sqlite needs exactly one of the settings data-dir and path");
    assertThatThrownBy(() -> Registries.openStore("sqlite", Map.of("data-dir", "a", "path", "b")))
        .hasMessage("store sqlite needs exactly one of the settings data-dir and path");
    assertThatThrownBy(() -> Registries.openStore("sqlite", Map.of("data-dir", dir.toString(), "history-limit", "0")))
        .hasMessage("setting history-limit=0 outside 1..2147483647");
    assertThatThrownBy(() -> Registries.openStore("sqlite", Map.of("data-dir", dir.toString(), "busy-timeout-ms", "x")))
        .hasMessage("setting busy-timeout-ms=\"x\" is not a whole number");
    assertThatThrownBy(() -> Registries.openStore("sqlite", Map.of("data-dir", dir.toString(), "histroy-limit", "1")))
        .hasMessageStartingWith("unknown setting histroy-limit for store sqlite (known: [busy-timeout-ms, data-dir,");
  }
}
