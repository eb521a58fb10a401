package io.mcp.codec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Test helper: feeds a byte stream to a {@link FrameDecoder} in chunks cut at given offsets, each
 * chunk a fresh buffer of a given kind, and records what the decoder made of it.
 *
 * <p>While feeding it checks what every caller relies on: a chunk is consumed whole, the decoder
 * never reserves more than {@code maxPayloadBytes + 5} bytes (nor less than it buffers), and once
 * the decoder has thrown an {@link McpException} every later call throws one with the same code.
 */
final class Chunking {
  /** Filler around a chunk's bytes in the kinds that have any; a decoder must never read it. */
  private static final byte FILLER = (byte) 0xA5;

  private static final int FILLER_BYTES = 3;

  /** How a chunk's bytes are held. */
  enum BufferKind {
    /** A heap buffer wrapping exactly the chunk's bytes. */
    HEAP,
    /** A heap buffer whose position and limit frame the bytes inside a larger array. */
    HEAP_WINDOW,
    /** A heap buffer sliced out of a larger array: non-zero array offset. */
    HEAP_SLICE,
    /** A direct buffer holding exactly the chunk's bytes. */
    DIRECT,
    /** A read-only view of a {@link #HEAP_WINDOW} buffer. */
    READ_ONLY_HEAP,
    /** A read-only view of a direct buffer whose position and limit frame the bytes. */
    READ_ONLY_DIRECT
  }

  /**
   * What a decoder made of a stream: the frames in order, the close code it failed with (null if
   * none), and the bytes of an unfinished frame it held at the end (0 after a failure).
   */
  record Outcome(List<Frame> frames, CloseCode error, int bufferedBytes) {}

  /**
   * An {@link Outcome} with the messages a caller sees: that of the failure (null if none), and
   * that of {@link FrameDecoder#endOfStream()} called after the last chunk (null if it passed).
   */
  record Result(Outcome outcome, String errorMessage, String endOfStreamMessage) {}

  /** Watches the decoder's memory while it is fed. */
  @FunctionalInterface
  interface Probe {
    /** Called with {@link FrameDecoder#bufferedBytes()} and {@link FrameDecoder#reservedBytes()}. */
    void check(int bufferedBytes, int reservedBytes);
  }

  private Chunking() {}

  /** No cuts: the stream is one chunk. */
  static int[] whole() {
    return new int[0];
  }

  /** Cuts after every byte: one byte at a time. */
  static int[] everyByte(int length) {
    int[] cuts = new int[Math.max(0, length - 1)];
    for (int i = 0; i < cuts.length; i++) {
      cuts[i] = i + 1;
    }
    return cuts;
  }

  /**
   * Pseudo-random cuts from {@code seed}: chunks of 0..{@code maxChunk} bytes, empty chunks
   * included.
   */
  static int[] randomCuts(int length, int maxChunk, long seed) {
    Random random = new Random(seed);
    int[] cuts = new int[16];
    int count = 0;
    int at = 0;
    while (true) {
      at += random.nextInt(maxChunk + 1);
      if (at >= length) {
        return Arrays.copyOf(cuts, count);
      }
      if (count == cuts.length) {
        cuts = Arrays.copyOf(cuts, count * 2);
      }
      cuts[count++] = at;
    }
  }

  /**
   * Every way the codec tests cut a stream of {@code length} bytes: not at all, after every byte,
   * and in two at every offset 0..length (the first and last give an empty chunk).
   */
  static List<int[]> everyCutting(int length) {
    List<int[]> cuttings = new ArrayList<>(length + 3);
    cuttings.add(whole());
    cuttings.add(everyByte(length));
    for (int at = 0; at <= length; at++) {
      cuttings.add(new int[] {at});
    }
    return cuttings;
  }

  /**
   * Feeds {@code stream} to a fresh decoder with {@code options} for each of {@link
   * #everyCutting(int)}, the buffer kind and byte order changing from one cutting to the next, then
   * ends the stream; checks that every cutting came to the same {@link Result} and returns it.
   */
  static Result feedEveryWay(CodecOptions options, byte[] stream) {
    BufferKind[] kinds = BufferKind.values();
    List<int[]> cuttings = everyCutting(stream.length);
    Result first = null;
    for (int i = 0; i < cuttings.size(); i++) {
      BufferKind kind = kinds[i % kinds.length];
      ByteOrder order = (i / kinds.length) % 2 == 0 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
      FrameDecoder decoder = FrameDecoder.create(options);
      Result result = fed(decoder, stream, cuttings.get(i), kind, order, boundProbe(decoder));
      if (result.outcome().error() == null) {
        String endOfStream = null;
        try {
          decoder.endOfStream();
        } catch (McpException e) {
          endOfStream = e.getMessage();
        }
        result = new Result(result.outcome(), null, endOfStream);
      }
      if (first == null) {
        first = result;
      } else if (!result.equals(first)) {
        throw new AssertionError("cut at " + Arrays.toString(cuttings.get(i)) + " (" + kind + ", "
            + order + ") gave " + result + "; whole gave " + first);
      }
    }
    return first;
  }

  /** Offsets clamped into 0..length and sorted; equal offsets give empty chunks. */
  static int[] cuts(int length, List<Integer> offsets) {
    return offsets.stream().mapToInt(o -> Math.min(Math.max(o, 0), length)).sorted().toArray();
  }

  /** The chunk {@code stream[from..to)} as a fresh buffer of {@code kind} in {@code order}. */
  static ByteBuffer chunk(byte[] stream, int from, int to, BufferKind kind, ByteOrder order) {
    int n = to - from;
    byte[] padded = new byte[FILLER_BYTES + n + FILLER_BYTES];
    Arrays.fill(padded, FILLER);
    System.arraycopy(stream, from, padded, FILLER_BYTES, n);
    ByteBuffer chunk = switch (kind) {
      case HEAP -> ByteBuffer.wrap(Arrays.copyOfRange(stream, from, to));
      case HEAP_WINDOW -> ByteBuffer.wrap(padded, FILLER_BYTES, n);
      case HEAP_SLICE -> ByteBuffer.wrap(padded).slice(FILLER_BYTES, n);
      case DIRECT -> ByteBuffer.allocateDirect(n).put(stream, from, n).flip();
      case READ_ONLY_HEAP -> ByteBuffer.wrap(padded, FILLER_BYTES, n).asReadOnlyBuffer();
      case READ_ONLY_DIRECT -> ByteBuffer.allocateDirect(padded.length).put(padded)
          .position(FILLER_BYTES).limit(FILLER_BYTES + n).asReadOnlyBuffer();
    };
    return chunk.order(order);
  }

  /**
   * Feeds {@code stream} cut at {@code cuts} (sorted offsets) to {@code decoder}, passing {@link
   * FrameDecoder#bufferedBytes()} and {@link FrameDecoder#reservedBytes()} to {@code probe} after
   * every chunk and from inside every sink call. Exceptions other than {@link McpException}
   * propagate.
   */
  static Outcome feed(
      FrameDecoder decoder,
      byte[] stream,
      int[] cuts,
      BufferKind kind,
      ByteOrder bufferOrder,
      Probe probe) {
    return fed(decoder, stream, cuts, kind, bufferOrder, probe).outcome();
  }

  /** {@link #feed} with a probe that checks the documented bound, max payload + header. */
  static Outcome feed(
      FrameDecoder decoder, byte[] stream, int[] cuts, BufferKind kind, ByteOrder bufferOrder) {
    return feed(decoder, stream, cuts, kind, bufferOrder, boundProbe(decoder));
  }

  private static Result fed(
      FrameDecoder decoder,
      byte[] stream,
      int[] cuts,
      BufferKind kind,
      ByteOrder bufferOrder,
      Probe probe) {
    List<Frame> frames = new ArrayList<>();
    Consumer<Frame> sink = frame -> {
      frames.add(frame);
      probe(decoder, probe);
    };
    int from = 0;
    try {
      for (int i = 0; i <= cuts.length; i++) {
        int to = i < cuts.length ? cuts[i] : stream.length;
        ByteBuffer chunk = chunk(stream, from, to, kind, bufferOrder);
        int limit = chunk.limit();
        decoder.decode(chunk, sink);
        if (chunk.position() != limit || chunk.limit() != limit) {
          throw new AssertionError("chunk [" + from + ", " + to + ") not consumed whole: " + chunk);
        }
        probe(decoder, probe);
        from = to;
      }
    } catch (McpException e) {
      checkFailedForGood(decoder, e.closeCode(), stream);
      return new Result(new Outcome(frames, e.closeCode(), 0), e.getMessage(), null);
    }
    return new Result(new Outcome(frames, null, decoder.bufferedBytes()), null, null);
  }

  /** Checks what holds for any decoder: it reserves at least what it buffers. */
  private static void probe(FrameDecoder decoder, Probe probe) {
    int buffered = decoder.bufferedBytes();
    int reserved = decoder.reservedBytes();
    if (reserved < buffered) {
      throw new AssertionError("reservedBytes " + reserved + " below bufferedBytes " + buffered);
    }
    probe.check(buffered, reserved);
  }

  /** A probe failing when the decoder buffers or reserves more than max payload + header. */
  private static Probe boundProbe(FrameDecoder decoder) {
    long bound = (long) decoder.options().maxPayloadBytes() + FrameEncoder.HEADER_BYTES;
    return (buffered, reserved) -> {
      if (buffered < 0 || buffered > bound) {
        throw new AssertionError("bufferedBytes " + buffered + " outside 0.." + bound);
      }
      if (reserved > bound) {
        throw new AssertionError("reservedBytes " + reserved + " above " + bound);
      }
    };
  }

  /** Checks that a failed decoder refuses empty input, more input and the end of the stream. */
  private static void checkFailedForGood(FrameDecoder decoder, CloseCode code, byte[] stream) {
    if (!decoder.isFailed()) {
      throw new AssertionError("decoder threw " + code + " but isFailed() is false");
    }
    ByteBuffer validFrame = ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 3});
    checkThrows(code, () -> decoder.decode(ByteBuffer.allocate(0), frame -> {}));
    checkThrows(code, () -> decoder.decode(validFrame, frame -> {}));
    checkThrows(code, () -> decoder.decode(ByteBuffer.wrap(stream), frame -> {}));
    checkThrows(code, decoder::endOfStream);
  }

  private static void checkThrows(CloseCode code, Runnable call) {
    try {
      call.run();
    } catch (McpException e) {
      if (!code.equals(e.closeCode())) {
        throw new AssertionError(
            "failed decoder threw " + e.closeCode() + ", first threw " + code, e);
      }
      return;
    }
    throw new AssertionError("failed decoder accepted another call");
  }
}
