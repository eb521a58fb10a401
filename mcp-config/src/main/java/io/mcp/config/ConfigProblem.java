package io.mcp.config;

import java.util.Objects;

/**
 * One thing wrong with a configuration: the key, the value as given (or {@code ***} for a secret,
 * or {@code null} when the key is unknown or missing), where it came from, and what is wrong,
 * including the allowed range.
 *
 * @param key the configuration key, for example {@code server.port}
 * @param value the offending value as written, {@code ***} for secrets, or {@code null}
 * @param source where the value came from: {@code mcp-server.yaml:3:9}, {@code env
 *     MCP_SERVER__PORT}, {@code system property mcp.server.port}, {@code flag --mcp-port}, {@code
 *     default}
 * @param message what is wrong and what is allowed
 */
public record ConfigProblem(String key, String value, String source, String message) {
  /** Checks the required parts. */
  public ConfigProblem {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(message, "message");
  }

  /** {@code key = value (source): message}. */
  @Override
  public String toString() {
    return key + (value == null ? "" : " = " + value) + " (" + source + "): " + message;
  }
}
