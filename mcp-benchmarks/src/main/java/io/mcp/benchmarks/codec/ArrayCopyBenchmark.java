package io.mcp.benchmarks.codec;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link System#arraycopy} of as many bytes as one encoded MCP/1 frame (5-byte header plus
 * payload) into a reused array, one copy per operation: the memory-copy limit that a copying encoder
 * such as {@code McpEncodeBenchmark.encode} is measured against.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dio.netty.leakDetection.level=disabled"})
public class ArrayCopyBenchmark {
  @Param({"64", "1024", "65536"})
  public int payloadBytes;

  private byte[] src;
  private byte[] dst;
  private int length;

  @Setup
  public void setUp() {
    src = CodecFixtures.encodedFrame(payloadBytes);
    length = src.length;
    dst = new byte[length];
  }

  /** Copies the frame's bytes. */
  @Benchmark
  public byte[] arraycopy() {
    System.arraycopy(src, 0, dst, 0, length);
    return dst;
  }
}
