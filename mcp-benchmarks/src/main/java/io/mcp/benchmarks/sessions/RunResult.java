package io.mcp.benchmarks.sessions;

import java.util.HashMap;
import java.util.Map;

/**
 * What one server JVM measured, carried to the coordinating JVM as one stdout line: {@code RESULT
 * kind=mcp sessions=10000 ...}. Sizes in bytes, times in nanoseconds or milliseconds as named.
 */
record RunResult(
    ServerKind kind,
    int sessions,
    int readyAfterConnect,
    long acceptToLastReadyNanos,
    long clientConnectMillis,
    long clientFailures,
    long heapBaselineBytes,
    long heapHeldBytes,
    long rssBaselineBytes,
    long rssHeldBytes,
    long rssAnonBaselineBytes,
    long rssAnonHeldBytes,
    int readyAtEnd,
    int closedDuringHold,
    int sessionsWithRtt,
    int clientOpenAtEnd) {

  static final String PREFIX = "RESULT ";

  /** Sessions READY per second as the server saw them: first accept to the last READY. */
  double handshakesPerSecond() {
    return acceptToLastReadyNanos <= 0 ? 0 : readyAfterConnect * 1e9 / acceptToLastReadyNanos;
  }

  double heapBytesPerSession() {
    return (double) (heapHeldBytes - heapBaselineBytes) / sessions;
  }

  /** RSS growth per session; NaN where RSS could not be read. */
  double rssBytesPerSession() {
    return rssBaselineBytes < 0 || rssHeldBytes < 0 ? Double.NaN : (double) (rssHeldBytes - rssBaselineBytes) / sessions;
  }

  /** Anonymous RSS growth per session; NaN where it could not be read. */
  double rssAnonBytesPerSession() {
    return rssAnonBaselineBytes < 0 || rssAnonHeldBytes < 0 ? Double.NaN
        : (double) (rssAnonHeldBytes - rssAnonBaselineBytes) / sessions;
  }

  /** Whether every session was READY after connecting and still is after the hold, on both ends. */
  boolean allHeld() {
    return readyAfterConnect == sessions && readyAtEnd == sessions && closedDuringHold == 0
        && clientOpenAtEnd == sessions && clientFailures == 0;
  }

  String encode() {
    return PREFIX + "kind=" + kind.label() + " sessions=" + sessions + " readyAfterConnect=" + readyAfterConnect
        + " acceptToLastReadyNanos=" + acceptToLastReadyNanos + " clientConnectMillis=" + clientConnectMillis
        + " clientFailures=" + clientFailures + " heapBaselineBytes=" + heapBaselineBytes
        + " heapHeldBytes=" + heapHeldBytes + " rssBaselineBytes=" + rssBaselineBytes
        + " rssHeldBytes=" + rssHeldBytes + " rssAnonBaselineBytes=" + rssAnonBaselineBytes
        + " rssAnonHeldBytes=" + rssAnonHeldBytes + " readyAtEnd=" + readyAtEnd + " closedDuringHold=" + closedDuringHold
        + " sessionsWithRtt=" + sessionsWithRtt + " clientOpenAtEnd=" + clientOpenAtEnd;
  }

  static RunResult decode(String line) {
    if (!line.startsWith(PREFIX)) {
      throw new IllegalArgumentException("not a result line: " + line);
    }
    Map<String, String> fields = new HashMap<>();
    for (String part : line.substring(PREFIX.length()).trim().split(" ")) {
      int eq = part.indexOf('=');
      fields.put(part.substring(0, eq), part.substring(eq + 1));
    }
    return new RunResult(
        ServerKind.parse(fields.get("kind")),
        Integer.parseInt(fields.get("sessions")),
        Integer.parseInt(fields.get("readyAfterConnect")),
        Long.parseLong(fields.get("acceptToLastReadyNanos")),
        Long.parseLong(fields.get("clientConnectMillis")),
        Long.parseLong(fields.get("clientFailures")),
        Long.parseLong(fields.get("heapBaselineBytes")),
        Long.parseLong(fields.get("heapHeldBytes")),
        Long.parseLong(fields.get("rssBaselineBytes")),
        Long.parseLong(fields.get("rssHeldBytes")),
        Long.parseLong(fields.get("rssAnonBaselineBytes")),
        Long.parseLong(fields.get("rssAnonHeldBytes")),
        Integer.parseInt(fields.get("readyAtEnd")),
        Integer.parseInt(fields.get("closedDuringHold")),
        Integer.parseInt(fields.get("sessionsWithRtt")),
        Integer.parseInt(fields.get("clientOpenAtEnd")));
  }
}
