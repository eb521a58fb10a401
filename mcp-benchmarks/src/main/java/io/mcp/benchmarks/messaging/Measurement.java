package io.mcp.benchmarks.messaging;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The outcome of one measurement window: a rate (messages or responses per second) and, for
 * request/response, latency percentiles, plus how often the producer had to back off. Travels from
 * a forked JVM to the driver as one {@code RESULT key=value ...} line. Immutable.
 */
final class Measurement {
  static final String PREFIX = "RESULT ";

  final Scenario scenario;
  final Implementation implementation;
  /** Connections for one-way; requests in flight for request/response. */
  final int width;
  /** Messages (one-way) or responses (request/response) counted in the window. */
  final long count;
  final long elapsedNanos;
  /** One-way: sends skipped because the channel/session was not writable. */
  final long notWritable;
  /** One-way: sends refused with OVERLOADED (MCP's outbound budget); always 0 for the baseline. */
  final long refused;
  /** One-way: times the producer parked because no connection could take a message. */
  final long parks;
  final long p50Nanos;
  final long p99Nanos;
  final long p999Nanos;
  final long samples;
  final long droppedSamples;

  Measurement(Scenario scenario, Implementation implementation, int width, long count, long elapsedNanos,
      long notWritable, long refused, long parks, LatencyRecorder.Percentiles latency) {
    this(scenario, implementation, width, count, elapsedNanos, notWritable, refused, parks,
        latency == null ? -1 : latency.p50Nanos, latency == null ? -1 : latency.p99Nanos,
        latency == null ? -1 : latency.p999Nanos, latency == null ? 0 : latency.samples,
        latency == null ? 0 : latency.dropped);
  }

  private Measurement(Scenario scenario, Implementation implementation, int width, long count, long elapsedNanos,
      long notWritable, long refused, long parks, long p50Nanos, long p99Nanos, long p999Nanos, long samples,
      long droppedSamples) {
    this.scenario = scenario;
    this.implementation = implementation;
    this.width = width;
    this.count = count;
    this.elapsedNanos = elapsedNanos;
    this.notWritable = notWritable;
    this.refused = refused;
    this.parks = parks;
    this.p50Nanos = p50Nanos;
    this.p99Nanos = p99Nanos;
    this.p999Nanos = p999Nanos;
    this.samples = samples;
    this.droppedSamples = droppedSamples;
  }

  /** Messages or responses per second over the window. */
  double ratePerSecond() {
    return count * 1e9 / elapsedNanos;
  }

  String toLine() {
    return PREFIX + "scenario=" + scenario.flag + " impl=" + implementation.flag + " width=" + width
        + " count=" + count + " elapsedNanos=" + elapsedNanos + " notWritable=" + notWritable
        + " refused=" + refused + " parks=" + parks + " p50=" + p50Nanos + " p99=" + p99Nanos
        + " p999=" + p999Nanos + " samples=" + samples + " dropped=" + droppedSamples;
  }

  static Measurement parse(String line) {
    if (!line.startsWith(PREFIX)) {
      throw new IllegalArgumentException("not a result line: " + line);
    }
    Map<String, String> fields = new LinkedHashMap<>();
    for (String pair : line.substring(PREFIX.length()).trim().split(" ")) {
      int eq = pair.indexOf('=');
      fields.put(pair.substring(0, eq), pair.substring(eq + 1));
    }
    return new Measurement(Scenario.of(fields.get("scenario")), Implementation.of(fields.get("impl")),
        Integer.parseInt(fields.get("width")), Long.parseLong(fields.get("count")),
        Long.parseLong(fields.get("elapsedNanos")), Long.parseLong(fields.get("notWritable")),
        Long.parseLong(fields.get("refused")), Long.parseLong(fields.get("parks")),
        Long.parseLong(fields.get("p50")), Long.parseLong(fields.get("p99")), Long.parseLong(fields.get("p999")),
        Long.parseLong(fields.get("samples")), Long.parseLong(fields.get("dropped")));
  }
}
