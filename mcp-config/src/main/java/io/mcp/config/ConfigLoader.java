package io.mcp.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.mcp.config.ConfigKeys.Key;
import io.mcp.config.ConfigValidator.Origin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Loads a {@link McpServerConfig} in layers, each overriding the one before:
 *
 * <ol>
 *   <li>built-in defaults;
 *   <li>a YAML ({@code .yaml}, {@code .yml}) or JSON ({@code .json}) file, keys nested by section:
 *       {@code server: {port: 7400}};
 *   <li>environment variables {@code MCP_<SECTION>__<KEY>}: prefix {@code MCP_}, {@code __}
 *       between levels, {@code _} for {@code -} within a name, upper case ({@code
 *       server.max-payload-bytes} is {@code MCP_SERVER__MAX_PAYLOAD_BYTES}); only names that start
 *       with {@code MCP_} and contain {@code __} are read, so {@code MCP_TOKEN} is left alone;
 *   <li>system properties {@code mcp.<key>} ({@code mcp.server.port}); only names with a second
 *       dot after {@code mcp.} are read;
 *   <li>overrides given with {@link #set(String, String, String)}, for example command-line flags.
 * </ol>
 *
 * <p>Every problem is collected and reported together in one {@link ConfigException}: values that
 * do not parse or are out of range, unknown keys (with the closest known key), and rules between
 * keys; each names the key, the value (secrets as {@code ***}), where it came from ({@code
 * file:line:column}, the environment variable, the system property, the flag) and what is allowed.
 * An empty environment variable or a YAML {@code null} leaves the key at its earlier value.
 *
 * <p>Not thread-safe; build, load, discard.
 */
public final class ConfigLoader {
  private Path file;
  private Map<String, String> environment;
  private Map<String, String> systemProperties;
  private final List<String[]> overrides = new ArrayList<>();

  private ConfigLoader() {}

  /** A loader reading the process environment and system properties, and no file yet. */
  public static ConfigLoader create() {
    ConfigLoader loader = new ConfigLoader();
    loader.environment = System.getenv();
    loader.systemProperties = properties(System.getProperties());
    return loader;
  }

  /** Reads {@code file} (YAML or JSON by its extension); {@code null} for none. */
  public ConfigLoader file(Path file) {
    this.file = file;
    return this;
  }

  /** Uses {@code environment} instead of the process environment (for tests and embedding). */
  public ConfigLoader environment(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
    return this;
  }

  /** Uses {@code properties} instead of the system properties (for tests and embedding). */
  public ConfigLoader systemProperties(Map<String, String> properties) {
    this.systemProperties = Map.copyOf(properties);
    return this;
  }

  /**
   * Sets {@code key} on top of every other layer; {@code source} names it in errors, for example
   * {@code flag --mcp-port}. Later calls win.
   */
  public ConfigLoader set(String key, String value, String source) {
    overrides.add(new String[] {Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"),
        Objects.requireNonNull(source, "source")});
    return this;
  }

  /**
   * Loads, binds and validates.
   *
   * @throws ConfigException listing every problem found
   */
  public McpServerConfig load() {
    List<ConfigProblem> problems = new ArrayList<>();
    Map<String, Origin> values = new LinkedHashMap<>();
    if (file != null) {
      readFile(file, values, problems);
    }
    environment.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
      String name = e.getKey();
      if (name.startsWith("MCP_") && name.contains("__")) {
        String key = keyOfEnv(name);
        put(values, problems, key, e.getValue().isEmpty() ? null : e.getValue(), "env " + name);
      }
    });
    systemProperties.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
      String name = e.getKey();
      if (name.startsWith("mcp.") && name.indexOf('.', 4) > 4) {
        put(values, problems, name.substring(4), e.getValue().isEmpty() ? null : e.getValue(),
            "system property " + name);
      }
    });
    for (String[] override : overrides) {
      put(values, problems, override[0], override[1], override[2]);
    }
    ConfigKeys.Draft draft = new ConfigKeys.Draft();
    for (Map.Entry<String, Origin> entry : values.entrySet()) {
      String key = entry.getKey();
      Origin origin = entry.getValue();
      if (origin.text() == null) {
        continue;
      }
      if (key.startsWith("store.options.")) {
        draft.store.option(key.substring("store.options.".length()), origin.text());
        continue;
      }
      if (key.startsWith("auth.options.")) {
        draft.auth.option(key.substring("auth.options.".length()), origin.text());
        continue;
      }
      Key k = ConfigKeys.BY_NAME.get(key);
      try {
        k.set().accept(draft, ConfigKeys.parse(k, origin.text()));
      } catch (ConfigKeys.ParseException e) {
        problems.add(new ConfigProblem(key, k.secret() ? "***" : origin.text(), origin.source(), e.getMessage()));
      }
    }
    McpServerConfig config = draft.build();
    Map<String, Origin> known = new LinkedHashMap<>(values);
    known.keySet().removeIf(k -> !ConfigKeys.BY_NAME.containsKey(k));
    ConfigValidator.check(config, known, "default", problems);
    return config;
  }

  /** {@code server.max-payload-bytes} for {@code MCP_SERVER__MAX_PAYLOAD_BYTES}. */
  static String keyOfEnv(String name) {
    String[] parts = name.substring(4).split("__", -1);
    StringBuilder key = new StringBuilder();
    for (String part : parts) {
      if (key.length() > 0) {
        key.append('.');
      }
      key.append(part.toLowerCase(Locale.ROOT).replace('_', '-'));
    }
    return key.toString();
  }

  private static void put(Map<String, Origin> values, List<ConfigProblem> problems, String key, String text,
      String source) {
    boolean mapKey = ConfigKeys.MAP_PREFIXES.stream()
        .anyMatch(p -> key.startsWith(p) && key.length() > p.length());
    if (!mapKey && !ConfigKeys.BY_NAME.containsKey(key)) {
      String message;
      if (ConfigKeys.SECTIONS.contains(key) || key.equals("auth.jwt") || key.equals("store.options")
          || key.equals("auth.options")) {
        message = "is a section, not a value: set the keys inside it";
      } else {
        String suggestion = ConfigKeys.suggest(key);
        message = "unknown key" + (suggestion == null ? "" : "; did you mean " + suggestion + "?");
      }
      problems.add(new ConfigProblem(key, null, source, message));
      return;
    }
    values.remove(key); // keep insertion order = layer order
    values.put(key, new Origin(text, source));
  }

  private static void readFile(Path file, Map<String, Origin> values, List<ConfigProblem> problems) {
    String name = file.getFileName() == null ? file.toString() : file.getFileName().toString().toLowerCase(Locale.ROOT);
    JsonFactory factory;
    if (name.endsWith(".yaml") || name.endsWith(".yml")) {
      factory = new YAMLFactory();
    } else if (name.endsWith(".json")) {
      factory = new JsonFactory();
    } else {
      problems.add(new ConfigProblem("config-file", file.toString(), "command line",
          "must end in .yaml, .yml or .json"));
      return;
    }
    if (!Files.isRegularFile(file)) {
      problems.add(new ConfigProblem("config-file", file.toString(), "command line", "is not a file"));
      return;
    }
    Map<String, Origin> read = new LinkedHashMap<>();
    List<ConfigProblem> found = new ArrayList<>();
    try (JsonParser parser = factory.createParser(file.toFile())) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        return; // an empty file sets nothing
      }
      if (first != JsonToken.START_OBJECT) {
        found.add(new ConfigProblem("config-file", null, where(file, parser.currentTokenLocation()),
            "the top level must be a mapping of sections (server:, grpc:, ...)"));
        return;
      }
      walk(parser, file, "", read, found);
    } catch (JsonProcessingException e) {
      found.clear(); // what came before a syntax error is noise
      read.clear();
      found.add(new ConfigProblem("config-file", null, where(file, e.getLocation()),
          "cannot parse: " + oneLine(e.getOriginalMessage())));
    } catch (IOException e) {
      found.add(new ConfigProblem("config-file", null, file.toString(), "cannot read: " + e));
    } finally {
      problems.addAll(found);
    }
    for (Map.Entry<String, Origin> entry : read.entrySet()) {
      put(values, problems, entry.getKey(), entry.getValue().text(), entry.getValue().source());
    }
  }

  private static void walk(JsonParser parser, Path file, String prefix, Map<String, Origin> read,
      List<ConfigProblem> problems) throws IOException {
    JsonToken token;
    while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
      String key = prefix + parser.currentName();
      JsonToken value = parser.nextToken();
      String source = where(file, parser.currentTokenLocation());
      if (read.containsKey(key)) {
        problems.add(new ConfigProblem(key, null, source, "duplicate key (first at "
            + read.get(key).source() + ")"));
      }
      switch (value) {
        case START_OBJECT -> walk(parser, file, key + ".", read, problems);
        case START_ARRAY -> {
          problems.add(new ConfigProblem(key, null, source, "lists are not supported here; write a single value"));
          parser.skipChildren();
        }
        case VALUE_NULL -> read.put(key, new Origin(null, source));
        default -> read.put(key, new Origin(parser.getText(), source));
      }
    }
    if (token != JsonToken.END_OBJECT) {
      throw new IllegalStateException("unexpected token " + token);
    }
  }

  /** The parser's message on one line, without the YAML parser's source excerpts. */
  static String oneLine(String message) {
    StringBuilder out = new StringBuilder();
    for (String line : message.split("\\R")) {
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("in 'reader'") || t.equals("^") || t.startsWith("at [Source")) {
        continue;
      }
      if (out.length() > 0) {
        out.append("; ");
      }
      out.append(t);
    }
    return out.toString();
  }

  private static String where(Path file, JsonLocation location) {
    if (location == null || location.getLineNr() < 1) {
      return file.toString();
    }
    return file + ":" + location.getLineNr() + ":" + location.getColumnNr();
  }

  private static Map<String, String> properties(Properties properties) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : properties.stringPropertyNames()) {
      out.put(name, properties.getProperty(name));
    }
    return out;
  }
}
