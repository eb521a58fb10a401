package io.mcp.benchmarks;

/** Command-line conventions shared by the load drivers. */
public final class Cli {
  private Cli() {}

  /**
   * Ends the JVM after a command line could not be parsed: {@code e}'s message "help" prints the
   * usage and exits 0; any other message is printed before the usage and exits 2 (usage error).
   */
  public static void exitWithUsage(IllegalArgumentException e, String usage) {
    boolean help = "help".equals(e.getMessage());
    if (!help) {
      System.err.println(e.getMessage());
    }
    System.err.println(usage);
    System.exit(help ? 0 : 2);
  }
}
