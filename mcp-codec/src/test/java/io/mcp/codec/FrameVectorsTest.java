package io.mcp.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
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
    check(v, List.of(v.input.length));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void vector_oneByteAtATime_decodesAsPublished(TestVectors.Vector v) {
    List<Integer> sizes = new ArrayList<>();
    for (int i = 0; i < v.input.length; i++) {
      sizes.add(1);
    }
    check(v, sizes);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void vector_splitAtEveryOffset_decodesAsPublished(TestVectors.Vector v) {
    for (int split = 0; split <= v.input.length; split++) {
      check(v, List.of(split, v.input.length - split));
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

  private static void check(TestVectors.Vector v, List<Integer> chunkSizes) {
    FrameDecoder decoder = FrameDecoder.create(v.options);
    List<Frame> frames = new ArrayList<>();
    McpException error = null;
    int offset = 0;
    for (int size : chunkSizes) {
      ByteBuffer chunk = ByteBuffer.wrap(v.input, offset, size).slice();
      offset += size;
      try {
        decoder.decode(chunk, frames::add);
      } catch (McpException e) {
        error = e;
        break;
      }
    }
    String where = v.name + " chunks " + chunkSizes;
    assertThat(frames).as(where).isEqualTo(v.frames);
    if (v.error == null) {
      if (error != null) {
        fail(where + ": unexpected " + error);
      }
      assertThat(decoder.bufferedBytes()).as(where + " pending").isEqualTo(v.pending);
      assertThat(decoder.isMidFrame()).as(where + " mid-frame").isEqualTo(v.pending > 0);
    } else {
      assertThat(error).as(where + " error").isNotNull();
      assertThat(error.closeCode()).as(where).isEqualTo(v.error);
      assertThat(decoder.isFailed()).isTrue();
    }
  }
}
