package io.mcp.benchmarks.codec;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.IOException;
import java.util.Arrays;
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
 * The same frame as JSON with Jackson, one frame per operation: {@code {"cmd":2,"payload":"<base64>"}}
 * written to a new byte array and read back into a record, through an {@link ObjectWriter} and an
 * {@link ObjectReader} made once from one {@link ObjectMapper}. The text-format baseline for
 * {@link McpEncodeBenchmark} and {@link McpDecodeBenchmark}; unlike them it encodes and decodes every
 * payload byte (base64), which is the point of the comparison.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dio.netty.leakDetection.level=disabled"})
public class JacksonFrameBenchmark {
  @Param({"64", "1024", "65536"})
  public int payloadBytes;

  private ObjectWriter writer;
  private ObjectReader reader;
  private JsonFrame frame;
  private byte[] json;

  /** A frame as JSON: the command code and the payload, which Jackson writes as base64. */
  public record JsonFrame(int cmd, byte[] payload) {}

  @Setup
  public void setUp() throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    writer = mapper.writerFor(JsonFrame.class);
    reader = mapper.readerFor(JsonFrame.class);
    frame = new JsonFrame(CodecFixtures.COMMAND.code(), CodecFixtures.payload(payloadBytes));
    json = serialize();
    JsonFrame back = deserialize();
    CodecFixtures.check(
        back.cmd() == frame.cmd() && Arrays.equals(back.payload(), frame.payload()),
        "JSON round trip differs");
  }

  /** Writes the frame as JSON into a new array. */
  @Benchmark
  public byte[] serialize() throws IOException {
    return writer.writeValueAsBytes(frame);
  }

  /** Reads the frame back from its JSON. */
  @Benchmark
  public JsonFrame deserialize() throws IOException {
    return reader.readValue(json);
  }
}
