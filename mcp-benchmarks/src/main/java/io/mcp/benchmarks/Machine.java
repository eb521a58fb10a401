package io.mcp.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Facts about the machine a run happened on, for the reports of every load driver. Stateless. */
public final class Machine {
  private Machine() {}

  /** The CPU model from /proc/cpuinfo, or "unknown CPU" off Linux. */
  public static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      // Not Linux: leave it unknown.
    }
    return "unknown CPU";
  }

  /** Cores, CPU model, JVM, OS. */
  public static String describe() {
    return String.format(Locale.ROOT, "machine: %d cores (%s), %s %s, %s %s", Runtime.getRuntime().availableProcessors(),
        cpuModel(), System.getProperty("java.vm.name"), System.getProperty("java.runtime.version"),
        System.getProperty("os.name"), System.getProperty("os.arch"));
  }

  /** The 1, 5 and 15 minute load averages separated by {@code separator}, or "unknown". */
  public static String loadAverages(String separator) {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return fields[0] + separator + fields[1] + separator + fields[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** "load average 1, 5, 15 minutes", or "load average unknown". */
  public static String loadAverage() {
    return "load average " + loadAverages(", ");
  }
}
