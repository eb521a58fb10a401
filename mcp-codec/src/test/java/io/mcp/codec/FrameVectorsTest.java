package io.mcp.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.codec.Chunking.BufferKind;
import io.mcp.codec.Chunking.Outcome;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs the published vectors in {@code docs/test-vectors/frames.txt} both ways: every input decoded
 * in one chunk, one byte at a time and split at every offset; every clean vector re-encoded to its
 * exact bytes.
 */
class FrameVectorsTest {
  static Stream<TestVectors.Vector> vectors() {
    return TestVectors.load("/test-vectors/frames.txt").stream();
  }

  @Test
  void vectorFile_loads_manyVectors() {
    assertThat(vectors().count()).isGreaterThanOrEqualTo(25);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void vector_oneChunk_decodesAsPublished(TestVectors.Vector v) {
    check(v, Chunking.whole());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void vector_oneByteAtATime_decodesAsPublished(TestVectors.Vector v) {
    check(v, Chunking.everyByte(v.input.length));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void vector_splitAtEveryOffset_decodesAsPublished(TestVectors.Vector v) {
    for (int split = 0; split <= v.input.length; split++) {
      check(v, new int[] {split});
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void vector_withoutErrorOrPending_encodesToItsBytes(TestVectors.Vector v) {
    if (v.error != null || v.pending != 0) {
      return;
    }
    FrameEncoder encoder = FrameEncoder.create(v.options);
    ByteBuffer out = ByteBuffer.allocate(v.input.length);
    for (Frame frame : v.frames) {
      encoder.encode(frame, out);
    }
    assertThat(out.array()).as(v.name).isEqualTo(v.input);
    assertThat(out.hasRemaining()).isFalse();
  }

  /**
   * Decodes the vector cut at {@code cuts} with {@link Chunking#feed}, which also checks that every
   * chunk is consumed whole, the decoder's memory bound, and that a failed decoder stays failed.
   */
  private static void check(TestVectors.Vector v, int[] cuts) {
    FrameDecoder decoder = FrameDecoder.create(v.options);

    Outcome outcome =
        Chunking.feed(decoder, v.input, cuts, BufferKind.HEAP_SLICE, ByteOrder.BIG_ENDIAN);

    String where = v.name + " cut at " + Arrays.toString(cuts);
    assertThat(outcome).as(where).isEqualTo(new Outcome(v.frames, v.error, v.pending));
    assertThat(decoder.isFailed()).as(where + " failed").isEqualTo(v.error != null);
    assertThat(decoder.isMidFrame()).as(where + " mid-frame").isEqualTo(v.pending > 0);
  }
}
