package io.mcp.benchmarks.grpc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Facts about the machine a run happened on, for the report. Stateless. */
final class MachineFacts {
  private MachineFacts() {}

  /** Cores, CPU model, JVM, OS. */
  static String describe() {
    String cpu = "unknown CPU";
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          cpu = line.substring(line.indexOf(':') + 1).trim();
          break;
        }
      }
    } catch (IOException e) {
      // Not Linux: leave it unknown.
    }
    return String.format(Locale.ROOT, "machine: %d cores (%s), %s %s, %s %s, grpc-java %s",
        Runtime.getRuntime().availableProcessors(), cpu, System.getProperty("java.vm.name"),
        System.getProperty("java.runtime.version"), System.getProperty("os.name"), System.getProperty("os.arch"),
        grpcVersion());
  }

  /** The 1, 5 and 15 minute load averages from /proc/loadavg, or "unknown". */
  static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return "load average " + fields[0] + ", " + fields[1] + ", " + fields[2];
    } catch (IOException | RuntimeException e) {
      return "load average unknown";
    }
  }

  private static String grpcVersion() {
    Package grpc = io.grpc.ManagedChannel.class.getPackage();
    String version = grpc == null ? null : grpc.getImplementationVersion();
    return version == null ? "(version not in the manifest)" : version;
  }
}
