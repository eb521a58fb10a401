package io.mcp.config;

import java.util.List;

/**
 * A configuration that cannot be used, with every problem found (not only the first). The message
 * lists them one per line; no secret value appears in it.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final List<ConfigProblem> problems;

  /** An exception reporting {@code problems} (at least one). */
  public ConfigException(List<ConfigProblem> problems) {
    super(message(problems));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("no problems");
    }
    this.problems = List.copyOf(problems);
  }

  /** The problems, in the order found. */
  public List<ConfigProblem> problems() {
    return problems;
  }

  private static String message(List<ConfigProblem> problems) {
    StringBuilder out = new StringBuilder("invalid configuration (")
        .append(problems.size()).append(problems.size() == 1 ? " problem):" : " problems):");
    for (ConfigProblem problem : problems) {
      out.append("\n  ").append(problem);
    }
    return out.toString();
  }
}
