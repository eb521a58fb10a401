package io.mcp.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.config.ConfigKeys.Key;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * docs/CONFIGURATION.md documents every key exactly as the code has it (default, range, environment
 * variable, system property), and the example file there and in examples/ loads.
 */
class ConfigurationDocTest {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  static String table() {
    StringBuilder out = new StringBuilder();
    out.append("| key | default | allowed | environment variable | system property | meaning |\n");
    out.append("|---|---|---|---|---|---|\n");
    McpServerConfig defaults = McpServerConfig.defaults();
    for (Key key : ConfigKeys.ALL) {
      Object value = key.get().apply(defaults);
      String dflt = value == null ? "(none)" : ConfigKeys.format(key, value);
      String range = key.range().isEmpty() ? switch (key.kind()) {
        case PATH -> "a path";
        case SECRET -> "a secret";
        default -> "text";
      } : key.range();
      out.append("| `").append(key.name()).append("` | `").append(dflt).append("` | ").append(range).append(" | `")
          .append(key.envName()).append("` | `").append(key.propertyName()).append("` | ")
          .append(key.description()).append(" |\n");
    }
    return out.toString();
  }

  @Test
  void everyKey_documentedWithDefaultRangeAndNames() throws IOException {
    String table = table();
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target", "configuration-keys.md"), table, StandardCharsets.UTF_8);
    String doc = Files.readString(ROOT.resolve("docs/CONFIGURATION.md"), StandardCharsets.UTF_8);
    assertThat(doc).as("docs/CONFIGURATION.md holds target/configuration-keys.md verbatim").contains(table);
  }

  @Test
  void exampleFile_loads() {
    McpServerConfig config = ConfigLoader.create().file(ROOT.resolve("examples/mcp-server.yaml"))
        .environment(Map.of("MCP_AUTH__AGENT_TOKEN", "agent-token-0123456789",
            "MCP_AUTH__ADMIN_TOKEN", "admin-token-0123456789"))
        .systemProperties(Map.of()).load();
    assertThat(config.server().port()).isEqualTo(7400);
    assertThat(config.grpc().port()).isEqualTo(7401);
    assertThat(config.store().type()).isEqualTo("sqlite");
  }
}
