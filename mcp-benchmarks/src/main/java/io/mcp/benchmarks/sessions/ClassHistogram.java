package io.mcp.benchmarks.sessions;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A live-object class histogram of this JVM, taken with {@code jcmd <pid> GC.class_histogram}
 * (which runs a full GC first), and the difference of two of them per session. Immutable.
 */
final class ClassHistogram {
  // "   1:         12345        678901  java.lang.String (java.base@17.0.15)"
  private static final Pattern ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+).*$");

  /** Class name to {instances, bytes}. */
  private final Map<String, long[]> rows;

  private ClassHistogram(Map<String, long[]> rows) {
    this.rows = rows;
  }

  /** Takes a histogram of this JVM with the JDK's {@code jcmd}. */
  static ClassHistogram ofThisJvm() throws IOException, InterruptedException {
    String output = Jcmd.run("GC.class_histogram");
    Map<String, long[]> rows = new HashMap<>();
    for (String line : output.split("\n")) {
      Matcher m = ROW.matcher(line);
      if (m.matches()) {
        rows.merge(m.group(3), new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))},
            (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
      }
    }
    if (rows.isEmpty()) {
      throw new IOException("jcmd GC.class_histogram printed no rows: " + output);
    }
    return new ClassHistogram(rows);
  }

  /**
   * The classes that grew most in bytes from {@code before} to this histogram, as table lines with
   * instances and bytes per session, and a total line.
   */
  List<String> growthReport(ClassHistogram before, int sessions, int top) {
    Set<String> names = new HashSet<>(rows.keySet());
    names.addAll(before.rows.keySet());
    List<Map.Entry<String, long[]>> deltas = new ArrayList<>();
    long totalBytes = 0;
    for (String name : names) {
      long[] now = rows.getOrDefault(name, new long[2]);
      long[] then = before.rows.getOrDefault(name, new long[2]);
      long[] delta = {now[0] - then[0], now[1] - then[1]};
      totalBytes += delta[1];
      deltas.add(Map.entry(name, delta));
    }
    deltas.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT, "| %-72s | %12s | %14s |", "class (live objects, growth baseline -> hold)",
        "objects/sess", "bytes/session"));
    lines.add("|" + "-".repeat(74) + "|" + "-".repeat(14) + ":|" + "-".repeat(16) + ":|");
    for (Map.Entry<String, long[]> row : deltas.subList(0, Math.min(top, deltas.size()))) {
      long[] delta = row.getValue();
      if (delta[1] <= 0) {
        break;
      }
      lines.add(String.format(Locale.ROOT, "| %-72s | %12.2f | %14.1f |", row.getKey(),
          (double) delta[0] / sessions, (double) delta[1] / sessions));
    }
    lines.add(String.format(Locale.ROOT, "| %-72s | %12s | %14.1f |", "all classes", "",
        (double) totalBytes / sessions));
    return lines;
  }
}
