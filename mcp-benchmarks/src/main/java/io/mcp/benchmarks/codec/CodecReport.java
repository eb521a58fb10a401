package io.mcp.benchmarks.codec;

import io.mcp.benchmarks.Cli;
import io.mcp.benchmarks.Machine;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the codec's JMH suite (every benchmark in this package) with JMH's {@code gc} profiler and
 * {@link CpuTimeProfiler}, and prints what {@code docs/BENCHMARKS.md} reports: per payload size,
 * frames/s and GB/s of every benchmark, the MCP/Netty decode ratio, the 64 KiB encode against
 * {@code System.arraycopy}, and whether each target was met.
 *
 * <pre>
 * java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.codec.CodecReport \
 *     [--forks 1] [--warmups 3] [--iterations 5] [--seconds 1] [--sizes 64,1024,65536] [--json FILE]
 * </pre>
 *
 * <p>Throughput is taken from CPU time ({@code cpu.process}: the whole benchmark JVM's CPU time per
 * frame, garbage collector and JIT included), because JMH's wall-clock score falls whenever the
 * benchmark thread waits for a core on a shared machine; the wall-clock score is printed beside it.
 * The targets are judged on CPU time.
 */
public final class CodecReport {
  private static final String USAGE = String.join("\n",
      "usage: CodecReport [--forks N] [--warmups N] [--iterations N] [--seconds N] [--sizes A,B,..] [--json FILE]",
      "  --forks N        JVM forks per benchmark and size (default 1)",
      "  --warmups N      warm-up iterations per fork (default 3)",
      "  --iterations N   measured iterations per fork (default 5)",
      "  --seconds N      seconds per iteration, warm-up and measured (default 1)",
      "  --sizes A,B,..   payload sizes in bytes, of 64, 1024, 65536 (default all three)",
      "  --json FILE      also write JMH's raw results as JSON to FILE",
      "A quick look: --warmups 1 --iterations 2 --sizes 64 (about a minute); the recorded run uses the defaults.");

  private static final int HEADER_BYTES = 5;
  private static final List<String> SIZES = List.of("64", "1024", "65536");

  /** Decode: MCP at least as many frames per CPU second as Netty's unpooled decoder. */
  static final double DECODE_TARGET = 1.0;
  /** Encode of a 64 KiB payload: at least this fraction of {@code System.arraycopy}'s rate. */
  static final double ENCODE_64K_TARGET = 0.7;
  /** Aspirational encode rate, 50 × 450 MB/s. */
  static final double ENCODE_GBPS_TARGET = 22.5;

  /** The rows of each size's table, in order: key (benchmark method and allocator) and label. */
  private static final Map<String, Row> ROWS = new LinkedHashMap<>();

  static {
    row("McpEncodeBenchmark.encode", "", "MCP `encode(frame, dst)`", true);
    row("NettyByteBufWriteBenchmark.write", "", "Netty `ByteBuf` writes", true);
    row("ArrayCopyBenchmark.arraycopy", "", "`System.arraycopy`", true);
    row("McpEncodeBenchmark.encodeGathering", "", "MCP `encodeGathering`", false);
    row("NettyEncodeBenchmark.prepender", "unpooled", "Netty `LengthFieldPrepender`, unpooled", false);
    row("NettyEncodeBenchmark.prepender", "pooled", "Netty `LengthFieldPrepender`, pooled", false);
    row("NettyEncodeBenchmark.prependerEmbeddedChannel", "unpooled",
        "Netty `LengthFieldPrepender`, unpooled, EmbeddedChannel", false);
    row("NettyEncodeBenchmark.prependerEmbeddedChannel", "pooled",
        "Netty `LengthFieldPrepender`, pooled, EmbeddedChannel", false);
    row("JacksonFrameBenchmark.serialize", "", "Jackson serialize", true);
    row("McpDecodeBenchmark.decode", "", "MCP `FrameDecoder.decode`", false);
    row("NettyDecodeBenchmark.decoder", "unpooled", "Netty `LengthFieldBasedFrameDecoder`, unpooled", false);
    row("NettyDecodeBenchmark.decoder", "pooled", "Netty `LengthFieldBasedFrameDecoder`, pooled", false);
    row("NettyDecodeBenchmark.decoderEmbeddedChannel", "unpooled",
        "Netty `LengthFieldBasedFrameDecoder`, unpooled, EmbeddedChannel", false);
    row("NettyDecodeBenchmark.decoderEmbeddedChannel", "pooled",
        "Netty `LengthFieldBasedFrameDecoder`, pooled, EmbeddedChannel", false);
    row("JacksonFrameBenchmark.deserialize", "", "Jackson deserialize", true);
  }

  /** One table row: its label, and whether the benchmark moves every payload byte. */
  private record Row(String label, boolean movesPayload) {}

  /** One benchmark's figures at one size: rates per second and their 99.9 % errors. */
  record Figures(
      double cpuNanosPerFrame, double cpuError, double wallFramesPerSecond, double wallError,
      double bytesPerFrame) {
    double cpuFramesPerSecond() {
      return 1e9 / cpuNanosPerFrame;
    }
  }

  private CodecReport() {}

  private static void row(String method, String allocator, String label, boolean movesPayload) {
    ROWS.put(key(method, allocator), new Row(label, movesPayload));
  }

  private static String key(String method, String allocator) {
    return method + (allocator.isEmpty() ? "" : "/" + allocator);
  }

  /** Runs the suite and prints the report; exits 2 on a bad command line. */
  public static void main(String[] args) throws RunnerException {
    int forks = 1;
    int warmups = 3;
    int iterations = 5;
    int seconds = 1;
    List<String> sizes = SIZES;
    String json = null;
    try {
      for (int i = 0; i < args.length; i++) {
        String name = args[i];
        if (name.equals("--help") || name.equals("-h")) {
          throw new IllegalArgumentException("help");
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("option " + name + " needs a value");
        }
        String value = args[++i];
        switch (name) {
          case "--forks" -> forks = atLeast(name, value, 1);
          case "--warmups" -> warmups = atLeast(name, value, 0);
          case "--iterations" -> iterations = atLeast(name, value, 1);
          case "--seconds" -> seconds = atLeast(name, value, 1);
          case "--sizes" -> sizes = sizes(value);
          case "--json" -> json = value;
          default -> throw new IllegalArgumentException("unknown option " + name);
        }
      }
    } catch (IllegalArgumentException e) {
      Cli.exitWithUsage(e, USAGE);
      return;
    }

    String loadBefore = Machine.loadAverage();
    ChainedOptionsBuilder options = new OptionsBuilder()
        .include("^" + CodecReport.class.getPackageName().replace(".", "\\.") + "\\.")
        .param("payloadBytes", sizes.toArray(String[]::new))
        .forks(forks)
        .warmupIterations(warmups)
        .warmupTime(TimeValue.seconds(seconds))
        .measurementIterations(iterations)
        .measurementTime(TimeValue.seconds(seconds))
        .addProfiler(GCProfiler.class)
        .addProfiler(CpuTimeProfiler.class);
    if (json != null) {
      options.resultFormat(ResultFormatType.JSON).result(json);
    }
    Collection<RunResult> results = new Runner(options.build()).run();

    System.out.println();
    System.out.println("# Codec report");
    System.out.println();
    System.out.println(Machine.describe());
    System.out.println(loadBefore + " (at start); " + Machine.loadAverage() + " (at end)");
    System.out.printf(Locale.ROOT, "%d fork(s), %d warm-up and %d measured iteration(s) of %d s%n",
        forks, warmups, iterations, seconds);
    print(collect(results), sizes);
  }

  /** The figures of every run, by size and then by row key. */
  static Map<String, Map<String, Figures>> collect(Collection<RunResult> results) {
    Map<String, Map<String, Figures>> bySize = new LinkedHashMap<>();
    for (RunResult run : results) {
      String benchmark = run.getParams().getBenchmark();
      String method = benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1);
      String allocator = run.getParams().getParam("allocator");
      String size = run.getParams().getParam("payloadBytes");
      Result<?> cpu = run.getSecondaryResults().get("cpu.process");
      Result<?> alloc = run.getSecondaryResults().get("gc.alloc.rate.norm");
      if (cpu == null) {
        throw new IllegalStateException(benchmark + " has no cpu.process result");
      }
      Result<?> wall = run.getPrimaryResult();
      bySize.computeIfAbsent(size, s -> new LinkedHashMap<>()).put(
          key(method, allocator == null ? "" : allocator),
          new Figures(cpu.getScore(), cpu.getScoreError(), wall.getScore(), wall.getScoreError(),
              alloc == null ? Double.NaN : alloc.getScore()));
    }
    return bySize;
  }

  private static void print(Map<String, Map<String, Figures>> bySize, List<String> sizes) {
    List<String> targets = new ArrayList<>();
    for (String size : sizes) {
      Map<String, Figures> figures = bySize.getOrDefault(size, Map.of());
      int payload = Integer.parseInt(size);
      int frameBytes = HEADER_BYTES + payload;
      System.out.println();
      System.out.printf(Locale.ROOT, "## %s payload (%,d bytes per frame)%n%n", sizeName(payload), frameBytes);
      System.out.println("| benchmark | frames/s | GB/s | CPU ns/frame | wall-clock frames/s | B/frame |");
      System.out.println("|---|---:|---:|---:|---:|---:|");
      for (Map.Entry<String, Row> row : ROWS.entrySet()) {
        Figures f = figures.get(row.getKey());
        if (f == null) {
          continue;
        }
        double gbps = f.cpuFramesPerSecond() * frameBytes / 1e9;
        String gb = row.getValue().movesPayload() ? number(gbps) : "*" + number(gbps) + "*";
        System.out.printf(Locale.ROOT, "| %s | %s | %s | %s ± %s | %s ± %s | %s |%n",
            row.getValue().label(), rate(f.cpuFramesPerSecond()), gb, number(f.cpuNanosPerFrame()),
            percent(f.cpuError(), f.cpuNanosPerFrame()), rate(f.wallFramesPerSecond()),
            percent(f.wallError(), f.wallFramesPerSecond()),
            Double.isNaN(f.bytesPerFrame()) ? "?" : String.format(Locale.ROOT, "%,.0f", f.bytesPerFrame()));
      }
      System.out.println();

      Figures decode = figures.get("McpDecodeBenchmark.decode");
      Figures netty = figures.get("NettyDecodeBenchmark.decoder/unpooled");
      Figures nettyPooled = figures.get("NettyDecodeBenchmark.decoder/pooled");
      if (decode != null && netty != null) {
        double cpuRatio = decode.cpuFramesPerSecond() / netty.cpuFramesPerSecond();
        double wallRatio = decode.wallFramesPerSecond() / netty.wallFramesPerSecond();
        System.out.printf(Locale.ROOT, "decode, MCP / Netty unpooled: %.2fx by CPU time, %.2fx by wall clock%s%n",
            cpuRatio, wallRatio, nettyPooled == null ? ""
                : String.format(Locale.ROOT, "; MCP / Netty pooled: %.2fx by CPU time, %.2fx by wall clock",
                    decode.cpuFramesPerSecond() / nettyPooled.cpuFramesPerSecond(),
                    decode.wallFramesPerSecond() / nettyPooled.wallFramesPerSecond()));
        targets.add(String.format(Locale.ROOT, "| decode ≥ %.1f× Netty's decoder (unpooled), %s | %.2f× (wall clock %.2f×) | %s |",
            DECODE_TARGET, sizeName(payload), cpuRatio, wallRatio, verdict(cpuRatio >= DECODE_TARGET)));
      }
      Figures encode = figures.get("McpEncodeBenchmark.encode");
      Figures copy = figures.get("ArrayCopyBenchmark.arraycopy");
      Figures writes = figures.get("NettyByteBufWriteBenchmark.write");
      if (encode != null && copy != null) {
        double cpuRatio = encode.cpuFramesPerSecond() / copy.cpuFramesPerSecond();
        double wallRatio = encode.wallFramesPerSecond() / copy.wallFramesPerSecond();
        System.out.printf(Locale.ROOT, "encode, MCP / System.arraycopy: %.2fx by CPU time, %.2fx by wall clock%s%n",
            cpuRatio, wallRatio, writes == null ? ""
                : String.format(Locale.ROOT, "; MCP / Netty ByteBuf writes: %.2fx by CPU time",
                    encode.cpuFramesPerSecond() / writes.cpuFramesPerSecond()));
        if (payload == 65536) {
          targets.add(String.format(Locale.ROOT, "| encode of a 64 KiB payload ≥ %.1f× `System.arraycopy` | %.2f× (wall clock %.2f×) | %s |",
              ENCODE_64K_TARGET, cpuRatio, wallRatio, verdict(cpuRatio >= ENCODE_64K_TARGET)));
        }
      }
      if (encode != null) {
        double gbps = encode.cpuFramesPerSecond() * frameBytes / 1e9;
        targets.add(String.format(Locale.ROOT, "| encode ≥ %.1f GB/s (aspirational), %s | %s GB/s (wall clock %s GB/s) | %s |",
            ENCODE_GBPS_TARGET, sizeName(payload), number(gbps),
            number(encode.wallFramesPerSecond() * frameBytes / 1e9), verdict(gbps >= ENCODE_GBPS_TARGET)));
      }
    }
    System.out.println();
    System.out.println("## Targets (judged on CPU time)");
    System.out.println();
    System.out.println("| target | measured by CPU time | result |");
    System.out.println("|---|---|---|");
    targets.forEach(System.out::println);
  }

  private static int atLeast(String name, String value, int min) {
    int n;
    try {
      n = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " " + value + " is not a whole number");
    }
    if (n < min) {
      throw new IllegalArgumentException(name + " " + n + " is below the minimum " + min);
    }
    return n;
  }

  private static List<String> sizes(String value) {
    List<String> sizes = new ArrayList<>();
    for (String size : value.split(",")) {
      String s = size.trim();
      if (!SIZES.contains(s)) {
        throw new IllegalArgumentException("--sizes " + s + " is not one of " + String.join(", ", SIZES));
      }
      sizes.add(s);
    }
    return List.copyOf(sizes);
  }

  private static String verdict(boolean met) {
    return met ? "met" : "**missed**";
  }

  private static String sizeName(int payload) {
    return payload >= 1024 ? payload / 1024 + " KiB" : payload + " B";
  }

  /** 95.9 M, 846.8 k, 9.4 k. */
  private static String rate(double perSecond) {
    if (perSecond >= 1e6) {
      return String.format(Locale.ROOT, "%.1f M", perSecond / 1e6);
    }
    return String.format(Locale.ROOT, "%.1f k", perSecond / 1e3);
  }

  /** Three significant digits, thousands separated: 6.61, 50.2, 1,181. */
  private static String number(double x) {
    if (x >= 100) {
      return String.format(Locale.ROOT, "%,.0f", x);
    }
    return String.format(Locale.ROOT, x >= 10 ? "%.1f" : "%.2f", x);
  }

  private static String percent(double error, double score) {
    return Double.isNaN(error) ? "?" : String.format(Locale.ROOT, "%.0f %%", 100 * error / score);
  }
}
