package io.mcp.codec;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.codec.Chunking.BufferKind;
import io.mcp.codec.Chunking.Outcome;
import io.mcp.codec.ReferenceDecoder.Rules;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;
import net.jqwik.api.statistics.Statistics;

/**
 * Proves the codec's laws for any input: lossless round trips however the bytes are cut, only
 * {@link McpException} on bad bytes, memory within max payload + header, and CLOSE, HEARTBEAT and
 * encoder forms that agree.
 */
class FrameCodecPropertiesTest {
  private static final int HEADER_BYTES = FrameEncoder.HEADER_BYTES;
  private static final int KIB = 1024;
  private static final int MIB = 1024 * KIB;
  private static final byte FILLER = (byte) 0xA5;

  // ---------------------------------------------------------------------------------------------
  // Decoding

  @Property(tries = 1000)
  void encodedFrames_anyCutsBuffersAndOrders_decodeToTheSameFrames(
      @ForAll("framedStreams") FramedStream stream,
      @ForAll BufferKind kind,
      @ForAll("byteOrders") ByteOrder bufferOrder) {
    FrameDecoder decoder = FrameDecoder.create(stream.rules().options());

    Outcome outcome = Chunking.feed(decoder, stream.bytes(), stream.cuts(), kind, bufferOrder);

    assertThat(outcome).isEqualTo(new Outcome(stream.frames(), null, 0));
    assertThat(decoder.isMidFrame()).isFalse();
    decoder.endOfStream();
    Statistics.label("payload of exactly max")
        .collect(stream.frames().stream()
            .anyMatch(f -> f.payloadLength() == stream.rules().maxPayloadBytes()))
        .coverage(c -> c.check(true).percentage(p -> p >= 5));
  }

  @Property(tries = 1000)
  void anyStream_splitAnywhere_decodesLikeTheWholeStream(
      @ForAll("anyStreams") AnyStream stream,
      @ForAll BufferKind kind,
      @ForAll("byteOrders") ByteOrder bufferOrder) {
    Outcome whole = feed(stream, Chunking.whole(), BufferKind.HEAP, ByteOrder.BIG_ENDIAN);

    Outcome split = feed(stream, stream.cuts(), kind, bufferOrder);
    Outcome oneByteAtATime =
        feed(stream, Chunking.everyByte(stream.bytes().length), kind, bufferOrder);

    assertThat(split).isEqualTo(whole);
    assertThat(oneByteAtATime).isEqualTo(whole);
  }

  /**
   * The heart of the decoder's contract. {@link Chunking#feed} lets only {@link McpException}
   * through as an outcome (anything else fails the try) and checks that a failed decoder refuses
   * every later call.
   */
  @Property(tries = 1000)
  void arbitraryBytes_anyCuts_framesOrMcpExceptionAsTheRulesSay(
      @ForAll("anyStreams") AnyStream stream,
      @ForAll BufferKind kind,
      @ForAll("byteOrders") ByteOrder bufferOrder) {
    Outcome outcome = feed(stream, stream.cuts(), kind, bufferOrder);

    if (outcome.error() != null) {
      assertThat(outcome.error()).isIn(CloseCode.PROTOCOL_ERROR, CloseCode.FRAME_TOO_LARGE);
    }
    assertThat(outcome).isEqualTo(ReferenceDecoder.decode(stream.bytes(), stream.rules()));
    Statistics.label("outcome")
        .collect(describe(outcome))
        .coverage(c -> {
          c.check("complete").percentage(p -> p >= 3);
          c.check("pending").percentage(p -> p >= 3);
          c.check("PROTOCOL_ERROR").percentage(p -> p >= 3);
          c.check("FRAME_TOO_LARGE").percentage(p -> p >= 3);
        });
  }

  @Property(tries = 500)
  void smallMax_anyCuts_bufferedAndReservedBytesNeverExceedMaxPlusHeader(
      @ForAll("kibiStreams") AnyStream stream, @ForAll BufferKind kind) {
    int bound = KIB + HEADER_BYTES;
    FrameDecoder decoder = FrameDecoder.create(stream.rules().options());
    int[] highest = {0, 0};

    Outcome outcome = Chunking.feed(
        decoder, stream.bytes(), stream.cuts(), kind, ByteOrder.BIG_ENDIAN, (buffered, reserved) -> {
          assertThat(buffered).isBetween(0, bound);
          assertThat(reserved).isBetween(HEADER_BYTES, bound);
          highest[0] = Math.max(highest[0], buffered);
          highest[1] = Math.max(highest[1], reserved);
        });

    assertThat(outcome).isEqualTo(ReferenceDecoder.decode(stream.bytes(), stream.rules()));
    Statistics.label("highest bufferedBytes")
        .collect(highest[0] > bound - 64 ? "near bound" : "lower")
        .coverage(c -> c.check("near bound").percentage(p -> p >= 10));
    Statistics.label("highest reservedBytes")
        .collect(highest[1] > bound - 64 ? "near bound" : "lower")
        .coverage(c -> c.check("near bound").percentage(p -> p >= 10));
  }

  // ---------------------------------------------------------------------------------------------
  // Allocation, measured by the JVM. Bounds are loose on purpose: the point is "a few KiB, not the
  // declared length", so JIT and class loading can't make these flaky; each is the least of
  // several runs after a warm-up.

  @Property(tries = 25)
  @AddLifecycleHook(AllocationCounter.SkipUnlessSupported.class)
  void declaredLengthAboveMax_anyValue_rejectedWithoutAllocatingIt(
      @ForAll("lengthsAbove64Mib") long declared, @ForAll("byteOrders") ByteOrder order) {
    AllocationCounter counter = new AllocationCounter();
    CodecOptions options =
        CodecOptions.builder().maxPayloadBytes(64 * MIB).byteOrder(order).build();
    byte[] header = header(order, declared, Command.DATA.code());

    long allocated = counter.leastAllocatedBy(() -> rejectedWith(options, header));

    assertThat(rejectedWith(options, header)).isEqualTo(CloseCode.FRAME_TOO_LARGE);
    assertThat(allocated).isLessThan(MIB);
  }

  @Example
  @AddLifecycleHook(AllocationCounter.SkipUnlessSupported.class)
  void declaredLengthMaxPlusOneOrAllOnes_rejectedWithoutAllocatingIt() {
    AllocationCounter counter = new AllocationCounter();
    CodecOptions options = CodecOptions.builder().maxPayloadBytes(64 * MIB).build();

    for (long declared : new long[] {64 * MIB + 1, 0xFFFF_FFFFL}) {
      byte[] header = header(ByteOrder.BIG_ENDIAN, declared, Command.DATA.code());
      long allocated = counter.leastAllocatedBy(() -> rejectedWith(options, header));

      assertThat(rejectedWith(options, header)).isEqualTo(CloseCode.FRAME_TOO_LARGE);
      assertThat(allocated).as("bytes allocated for declared length %d", declared).isLessThan(MIB);
    }
  }

  @Example
  @AddLifecycleHook(AllocationCounter.SkipUnlessSupported.class)
  void partialFrameDeclaringExactlyMax_allocatesMaxOnce() {
    AllocationCounter counter = new AllocationCounter();
    int max = 64 * MIB;
    CodecOptions options = CodecOptions.builder().maxPayloadBytes(max).build();
    byte[] chunk = Arrays.copyOf(header(ByteOrder.BIG_ENDIAN, max, Command.DATA.code()), 1000);

    long allocated = counter.leastAllocatedBy(() -> {
      FrameDecoder decoder = FrameDecoder.create(options);
      decoder.decode(ByteBuffer.wrap(chunk), frame -> {
        throw new AssertionError("a partial frame was emitted: " + frame);
      });
      if (decoder.bufferedBytes() != chunk.length) {
        throw new AssertionError("bufferedBytes " + decoder.bufferedBytes());
      }
      if (decoder.reservedBytes() != max + HEADER_BYTES) {
        throw new AssertionError("reservedBytes " + decoder.reservedBytes());
      }
    });

    // The payload array and the 5-byte header; the slack is the decoder, the chunk's ByteBuffer
    // and the array headers (152 bytes in all, measured on JDK 17).
    assertThat(allocated).isBetween((long) max + HEADER_BYTES, (long) max + HEADER_BYTES + KIB);
  }

  // ---------------------------------------------------------------------------------------------
  // CLOSE and HEARTBEAT payloads

  @Property(tries = 500)
  void closePayload_anyCodeAndReason_roundTripsCutAtACharBoundary(
      @ForAll @IntRange(min = 0, max = CloseCode.MAX_CODE) int code,
      @ForAll("reasons") String reason) {
    byte[] given = reason.getBytes(UTF_8);

    Close close = Close.of(CloseCode.of(code), reason);

    byte[] kept = close.reason().getBytes(UTF_8);
    assertThat(new String(kept, UTF_8)).as("well-formed").isEqualTo(close.reason());
    assertThat(reason).startsWith(close.reason());
    if (given.length <= Close.MAX_REASON_BYTES) {
      assertThat(close.reason()).isEqualTo(reason);
    } else {
      int next = reason.codePointAt(close.reason().length());
      assertThat(kept.length)
          .isLessThanOrEqualTo(Close.MAX_REASON_BYTES)
          .isGreaterThan(Close.MAX_REASON_BYTES - utf8Length(next));
    }
    byte[] payload = close.encodePayload();
    assertThat(payload).startsWith((byte) (code >>> 8), (byte) code);
    assertThat(Arrays.copyOfRange(payload, 2, payload.length)).isEqualTo(kept);
    Close back = Close.decode(throughTheCodec(close.toFrame()));
    assertThat(back).isEqualTo(close);
    assertThat(back.code().value()).isEqualTo(code);
    assertThat(back.reason()).isEqualTo(close.reason());
    Statistics.label("reason")
        .collect(given.length > Close.MAX_REASON_BYTES ? "truncated" : "whole")
        .coverage(c -> {
          c.check("truncated").percentage(p -> p >= 20);
          c.check("whole").percentage(p -> p >= 20);
        });
  }

  @Property(tries = 300)
  void closePayload_anyBytes_decodedOrProtocolError(@ForAll("shortPayloads") byte[] payload) {
    if (payload.length < 2) {
      assertThatThrownBy(() -> Close.decode(ByteBuffer.wrap(payload)))
          .isInstanceOfSatisfying(McpException.class,
              e -> assertThat(e.closeCode()).isEqualTo(CloseCode.PROTOCOL_ERROR));
      return;
    }

    Close close = Close.decode(ByteBuffer.wrap(payload));

    assertThat(close.code().value()).isEqualTo((payload[0] & 0xFF) << 8 | (payload[1] & 0xFF));
    assertThat(close.reason()).isEqualTo(new String(payload, 2, payload.length - 2, UTF_8));
  }

  @Property(tries = 200)
  void heartbeat_anyKindAndOpaque_roundTripsThroughTheCodec(
      @ForAll Heartbeat.Kind kind, @ForAll long opaque) {
    Heartbeat heartbeat = switch (kind) {
      case BARE -> Heartbeat.bare();
      case PING -> Heartbeat.ping(opaque);
      case PONG -> Heartbeat.pong(opaque);
    };
    byte[] expected = kind == Heartbeat.Kind.BARE
        ? new byte[0]
        : ByteBuffer.allocate(9).put((byte) (kind == Heartbeat.Kind.PING ? 0 : 1)).putLong(opaque)
            .array();

    assertThat(heartbeat.encodePayload()).isEqualTo(expected);
    Heartbeat back = Heartbeat.decode(throughTheCodec(heartbeat.toFrame()));
    assertThat(back).isEqualTo(heartbeat);
    assertThat(back.kind()).isEqualTo(kind);
    assertThat(back.opaque()).isEqualTo(kind == Heartbeat.Kind.BARE ? 0 : opaque);
    if (kind == Heartbeat.Kind.PING) {
      assertThat(back.toPong()).isEqualTo(Heartbeat.pong(opaque));
    }
  }

  @Property(tries = 300)
  void heartbeatPayload_anyBytes_decodedOrProtocolError(
      @ForAll("heartbeatPayloads") byte[] payload) {
    boolean wellFormed =
        payload.length == 0 || (payload.length == 9 && (payload[0] == 0 || payload[0] == 1));
    try {
      Heartbeat heartbeat = Heartbeat.decode(ByteBuffer.wrap(payload));

      assertThat(wellFormed).as("accepted %s", Arrays.toString(payload)).isTrue();
      assertThat(heartbeat.encodePayload()).isEqualTo(payload);
    } catch (McpException e) {
      assertThat(wellFormed).as("refused %s", Arrays.toString(payload)).isFalse();
      assertThat(e.closeCode()).isEqualTo(CloseCode.PROTOCOL_ERROR);
    }
    Statistics.label("well-formed")
        .collect(wellFormed)
        .coverage(c -> {
          c.check(true).percentage(p -> p >= 10);
          c.check(false).percentage(p -> p >= 10);
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Encoding

  @Property(tries = 500)
  void encoder_anyFrame_arrayBufferAndGatheringFormsAgree(
      @ForAll("ruledFrames") RuledFrame ruled,
      @ForAll("byteOrders") ByteOrder dstOrder,
      @ForAll boolean direct,
      @ForAll @IntRange(max = 7) int offset) {
    Frame frame = ruled.frame();
    byte[] payload = frame.payloadBytes();
    FrameEncoder encoder = FrameEncoder.create(ruled.rules().options());
    byte[] expected = concat(
        header(ruled.rules().byteOrder(), payload.length, frame.command().code()), payload);

    assertThat(encoder.encode(frame)).isEqualTo(expected);
    assertThat(encoder.encodedLength(frame)).isEqualTo(expected.length);

    ByteBuffer dst = (direct ? ByteBuffer.allocateDirect(offset + expected.length + 3)
        : ByteBuffer.allocate(offset + expected.length + 3)).order(dstOrder);
    fill(dst);
    dst.position(offset);
    encoder.encode(frame, dst);
    assertThat(dst.position()).isEqualTo(offset + expected.length);
    assertThat(dst.order()).isEqualTo(dstOrder);
    byte[] around = new byte[dst.capacity()];
    dst.get(0, around);
    byte[] filler = new byte[offset];
    Arrays.fill(filler, FILLER);
    assertThat(around).isEqualTo(concat(filler, expected, new byte[] {FILLER, FILLER, FILLER}));

    ByteBuffer[] gathering = encoder.encodeGathering(frame);
    assertThat(gathering).hasSize(2);
    assertThat(bytes(gathering[0])).isEqualTo(Arrays.copyOf(expected, HEADER_BYTES));
    assertThat(concat(bytes(gathering[0]), bytes(gathering[1]))).isEqualTo(expected);
    assertThat(bytes(encoder.header(frame))).isEqualTo(Arrays.copyOf(expected, HEADER_BYTES));
    assertThat(frame.payloadBytes()).as("payload untouched").isEqualTo(payload);
  }

  @Property(tries = 100)
  void encoder_payloadAboveMax_refusedWithNothingWritten(
      @ForAll @IntRange(max = 64) int max,
      @ForAll @IntRange(min = 1, max = 64) int excess,
      @ForAll boolean direct) {
    FrameEncoder encoder =
        FrameEncoder.create(CodecOptions.builder().maxPayloadBytes(max).build());
    Frame frame = Frame.of(Command.DATA, new byte[max + excess]);
    ByteBuffer dst = direct ? ByteBuffer.allocateDirect(256) : ByteBuffer.allocate(256);
    fill(dst);

    assertFrameTooLarge(() -> encoder.encode(frame));
    assertFrameTooLarge(() -> encoder.encode(frame, dst));
    assertFrameTooLarge(() -> encoder.encodeGathering(frame));
    assertFrameTooLarge(() -> encoder.header(frame));
    assertFrameTooLarge(() -> encoder.writeHeader(Command.DATA, max + excess, dst));
    assertThat(dst.position()).isZero();
    byte[] untouched = new byte[256];
    Arrays.fill(untouched, FILLER);
    assertThat(bytes(dst)).isEqualTo(untouched);
  }

  // ---------------------------------------------------------------------------------------------
  // Generators

  /** Frames encoded under some rules, and where to cut the encoding. */
  record FramedStream(Rules rules, List<Frame> frames, byte[] bytes, int[] cuts) {
    @Override
    public String toString() {
      return "FramedStream{" + rules + ", " + frames + ", bytes=" + hex(bytes)
          + ", cuts=" + Arrays.toString(cuts) + "}";
    }
  }

  /** Any bytes to decode under some rules, and where to cut them. */
  record AnyStream(Rules rules, byte[] bytes, int[] cuts) {
    @Override
    public String toString() {
      return "AnyStream{" + rules + ", bytes=" + hex(bytes) + ", cuts=" + Arrays.toString(cuts)
          + "}";
    }
  }

  /** A frame and the rules it conforms to. */
  record RuledFrame(Rules rules, Frame frame) {
    @Override
    public String toString() {
      return "RuledFrame{" + rules + ", " + frame.command() + " " + hex(frame.payloadBytes()) + "}";
    }
  }

  /** One edit of a valid stream; {@code at} is taken modulo the stream's length. */
  record Mutation(int op, int at, int value) {}

  @Provide
  Arbitrary<ByteOrder> byteOrders() {
    return Arbitraries.of(ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN);
  }

  @Provide
  Arbitrary<Rules> rules() {
    Arbitrary<Integer> max = Arbitraries.frequencyOf(List.of(
        weighted(1, Arbitraries.just(0)),
        weighted(3, Arbitraries.integers().between(1, 64)),
        weighted(4, Arbitraries.integers().between(65, 3 * KIB)),
        weighted(2, Arbitraries.just(CodecOptions.DEFAULT_MAX_PAYLOAD_BYTES))));
    Arbitrary<Set<Integer>> extensions = Arbitraries.frequencyOf(List.of(
        weighted(3, Arbitraries.just(Set.<Integer>of())),
        weighted(4, Arbitraries.integers().between(0x80, 0xFF).set().ofMinSize(1).ofMaxSize(3)),
        weighted(1, Arbitraries.just(ReferenceDecoder.ALL_EXTENSIONS))));
    return Combinators.combine(byteOrders(), max, extensions).as(Rules::new);
  }

  @Provide
  Arbitrary<FramedStream> framedStreams() {
    return rules().flatMap(rules -> frames(rules, 2 * KIB).list().ofMaxSize(6).flatMap(frames -> {
      byte[] bytes = encodeAll(rules, frames);
      return cuts(bytes.length).map(cuts -> new FramedStream(rules, frames, bytes, cuts));
    })).withoutEdgeCases();
  }

  /**
   * Valid streams (some ending mid-frame), valid streams followed by any header, mutated valid
   * streams, and random bytes.
   */
  @Provide
  Arbitrary<AnyStream> anyStreams() {
    return rules().flatMap(rules -> {
      Arbitrary<byte[]> valid = frames(rules, 16).list().ofMaxSize(5)
          .map(frames -> encodeAll(rules, frames));
      Arbitrary<byte[]> cutShort = valid.flatMap(bytes -> Arbitraries.integers()
          .between(0, bytes.length).map(n -> Arrays.copyOf(bytes, n)));
      Arbitrary<byte[]> bytes = Arbitraries.frequencyOf(List.of(
          weighted(2, cutShort),
          weighted(2, Combinators.combine(valid, anyHeader(rules))
              .as(FrameCodecPropertiesTest::concat)),
          weighted(4, cutShort.flatMap(FrameCodecPropertiesTest::mutated)),
          weighted(2, Arbitraries.bytes().array(byte[].class).ofMaxSize(40))));
      return bytes.flatMap(b -> cuts(b.length).map(cuts -> new AnyStream(rules, b, cuts)));
    }).withoutEdgeCases();
  }

  /** Max 1 KiB; payloads mostly near it; sometimes mutated or cut short. */
  @Provide
  Arbitrary<AnyStream> kibiStreams() {
    Arbitrary<Rules> rules = Combinators.combine(
            byteOrders(), Arbitraries.just(KIB), Arbitraries.just(Set.<Integer>of()))
        .as(Rules::new);
    return rules.flatMap(r -> {
      Arbitrary<Integer> length = Arbitraries.frequencyOf(List.of(
          weighted(3, Arbitraries.just(KIB)),
          weighted(5, Arbitraries.integers().between(KIB - 100, KIB)),
          weighted(2, Arbitraries.integers().between(0, KIB))));
      Arbitrary<Frame> frame = Combinators.combine(Arbitraries.of(1, 2, 3, 4), length,
              Arbitraries.longs())
          .as((code, n, seed) -> Frame.of(Command.of(code), payload(n, seed)));
      Arbitrary<byte[]> valid = frame.list().ofMinSize(1).ofMaxSize(4)
          .map(frames -> encodeAll(r, frames));
      Arbitrary<byte[]> bytes = Arbitraries.frequencyOf(List.of(
          weighted(4, valid),
          weighted(2, valid.flatMap(FrameCodecPropertiesTest::mutated)),
          weighted(2, valid.flatMap(b -> Arbitraries.integers().between(0, b.length)
              .map(n -> Arrays.copyOf(b, n))))));
      return bytes.flatMap(b -> randomCuts(b.length).map(cuts -> new AnyStream(r, b, cuts)));
    }).withoutEdgeCases();
  }

  @Provide
  Arbitrary<RuledFrame> ruledFrames() {
    return rules().flatMap(rules -> Combinators.combine(
            frames(rules, 2 * KIB), Arbitraries.integers().between(0, 2), Arbitraries.of(0, 3))
        .as((frame, form, offset) -> new RuledFrame(rules, reheld(frame, form, offset))))
        .withoutEdgeCases();
  }

  @Provide
  Arbitrary<Long> lengthsAbove64Mib() {
    return Arbitraries.longs().between(64L * MIB + 1, 0xFFFF_FFFFL);
  }

  /** Code points of every UTF-8 length: short reasons, long ones, ones straddling 1024 bytes. */
  @Provide
  Arbitrary<String> reasons() {
    Arbitrary<Integer> multiByte = Arbitraries.frequencyOf(List.of(
        weighted(2, Arbitraries.integers().between(0x80, 0x7FF)),
        weighted(2, Arbitraries.integers().between(0x800, 0xFFFF)
            .filter(c -> c < Character.MIN_SURROGATE || c > Character.MAX_SURROGATE)),
        weighted(2, Arbitraries.integers().between(0x10000, Character.MAX_CODE_POINT))));
    Arbitrary<Integer> codePoint = Arbitraries.frequencyOf(List.of(
        weighted(4, Arbitraries.integers().between(0x20, 0x7E)),
        weighted(1, Arbitraries.integers().between(0, 0x1F)),
        weighted(4, multiByte)));
    Arbitrary<List<Integer>> straddling = Combinators.combine(
            Arbitraries.integers().between(Close.MAX_REASON_BYTES - 3, Close.MAX_REASON_BYTES),
            multiByte.list().ofMinSize(1).ofMaxSize(3))
        .as((ascii, tail) -> {
          List<Integer> codePoints = new ArrayList<>(Collections.nCopies(ascii, (int) 'x'));
          codePoints.addAll(tail);
          return codePoints;
        });
    return Arbitraries.frequencyOf(List.of(
            weighted(3, codePoint.list().ofMaxSize(40)),
            weighted(3, codePoint.list().ofMinSize(300).ofMaxSize(1100)),
            weighted(2, straddling)))
        .map(cps -> new String(cps.stream().mapToInt(Integer::intValue).toArray(), 0, cps.size()));
  }

  @Provide
  Arbitrary<byte[]> shortPayloads() {
    Arbitrary<byte[]> utf8 = reasons().map(s -> concat(new byte[] {0, 7}, s.getBytes(UTF_8)));
    return Arbitraries.oneOf(Arbitraries.bytes().array(byte[].class).ofMaxSize(40), utf8);
  }

  @Provide
  Arbitrary<byte[]> heartbeatPayloads() {
    Arbitrary<byte[]> flagged = Combinators.combine(
            Arbitraries.of((byte) 0, (byte) 1, (byte) 2, (byte) 0xFF), Arbitraries.longs())
        .as((flag, opaque) -> ByteBuffer.allocate(9).put(flag).putLong(opaque).array());
    return Arbitraries.oneOf(flagged, Arbitraries.bytes().array(byte[].class).ofMaxSize(12));
  }

  /** Frames allowed by {@code rules}, payloads up to {@code typical} bytes or exactly the max. */
  private static Arbitrary<Frame> frames(Rules rules, int typical) {
    int max = rules.maxPayloadBytes();
    List<Tuple2<Integer, Arbitrary<Integer>>> lengths = new ArrayList<>();
    lengths.add(weighted(2, Arbitraries.just(0)));
    lengths.add(weighted(6, Arbitraries.integers().between(0, Math.min(max, typical))));
    if (max <= 8 * KIB) {
      lengths.add(weighted(2, Arbitraries.just(max)));
    }
    return Combinators.combine(
            Arbitraries.of(rules.commandCodes()), Arbitraries.frequencyOf(lengths),
            Arbitraries.longs())
        .as((code, n, seed) -> Frame.of(Command.of(code), payload(n, seed)));
  }

  /** A header with a length near the max or anywhere in u32, and a command byte that may be bad. */
  private static Arbitrary<byte[]> anyHeader(Rules rules) {
    long max = rules.maxPayloadBytes();
    Arbitrary<Long> length = Arbitraries.frequencyOf(List.of(
        weighted(3, Arbitraries.longs().between(Math.max(0, max - 2), max + 2)),
        weighted(1, Arbitraries.of(0L, 0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL)),
        weighted(2, Arbitraries.longs().between(0, 0xFFFF_FFFFL))));
    Arbitrary<Integer> code = Arbitraries.frequencyOf(List.of(
        weighted(3, Arbitraries.of(rules.commandCodes())),
        weighted(1, Arbitraries.integers().between(0, 0xFF))));
    return Combinators.combine(length, code)
        .as((n, c) -> header(rules.byteOrder(), n, c));
  }

  /** Cut nowhere, after every byte, or at up to 16 offsets (equal ones give empty chunks). */
  private static Arbitrary<int[]> cuts(int length) {
    return Arbitraries.frequencyOf(List.of(
        weighted(1, Arbitraries.just(Chunking.whole())),
        weighted(1, Arbitraries.just(Chunking.everyByte(length))),
        weighted(6, Arbitraries.integers().between(0, length).list().ofMaxSize(16)
            .map(offsets -> Chunking.cuts(length, offsets)))));
  }

  /** Chunks of pseudo-random sizes up to a bound, so that long streams get many cuts. */
  private static Arbitrary<int[]> randomCuts(int length) {
    return Combinators.combine(Arbitraries.integers().between(1, 700), Arbitraries.longs())
        .as((maxChunk, seed) -> Chunking.randomCuts(length, maxChunk, seed));
  }

  private static Arbitrary<byte[]> mutated(byte[] valid) {
    Arbitrary<Integer> value = Arbitraries.frequencyOf(List.of(
        weighted(3, Arbitraries.of(0x00, 0x01, 0x05, 0x7F, 0x80, 0xFF)),
        weighted(2, Arbitraries.integers().between(0, 0xFF))));
    return Combinators.combine(
            Arbitraries.integers().between(0, 4), Arbitraries.integers().between(0, 1 << 16),
            value)
        .as(Mutation::new)
        .list().ofMinSize(1).ofMaxSize(4)
        .map(mutations -> apply(valid, mutations));
  }

  private static byte[] apply(byte[] valid, List<Mutation> mutations) {
    List<Byte> bytes = new ArrayList<>();
    for (byte b : valid) {
      bytes.add(b);
    }
    for (Mutation m : mutations) {
      int size = bytes.size();
      switch (m.op()) {
        case 0 -> {
          if (size > 0) {
            bytes.set(m.at() % size, (byte) m.value());
          }
        }
        case 1 -> bytes.add(m.at() % (size + 1), (byte) m.value());
        case 2 -> {
          if (size > 0) {
            bytes.remove(m.at() % size);
          }
        }
        case 3 -> bytes.subList(m.at() % (size + 1), size).clear();
        default -> {
          if (size > 0) {
            int at = m.at() % size;
            bytes.set(at, (byte) (bytes.get(at) ^ (1 << (m.value() & 7))));
          }
        }
      }
    }
    byte[] out = new byte[bytes.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = bytes.get(i);
    }
    return out;
  }

  /** The same frame with its payload held as an array (0), a heap window (1) or direct (2). */
  private static Frame reheld(Frame frame, int form, int offset) {
    byte[] payload = frame.payloadBytes();
    return switch (form) {
      case 0 -> frame;
      case 1 -> {
        byte[] padded = new byte[offset + payload.length + offset];
        Arrays.fill(padded, FILLER);
        System.arraycopy(payload, 0, padded, offset, payload.length);
        yield Frame.of(frame.command(), ByteBuffer.wrap(padded, offset, payload.length));
      }
      default -> Frame.of(frame.command(),
          ByteBuffer.allocateDirect(payload.length).put(payload).flip());
    };
  }

  private static <T> Tuple2<Integer, Arbitrary<T>> weighted(int weight, Arbitrary<T> arbitrary) {
    return Tuple.of(weight, arbitrary);
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private static Outcome feed(AnyStream stream, int[] cuts, BufferKind kind, ByteOrder order) {
    return Chunking.feed(
        FrameDecoder.create(stream.rules().options()), stream.bytes(), cuts, kind, order);
  }

  private static String describe(Outcome outcome) {
    if (outcome.error() != null) {
      return outcome.error().name();
    }
    return outcome.bufferedBytes() == 0 ? "complete" : "pending";
  }

  /** Decodes {@code header} alone with a fresh decoder and returns the close code it fails with. */
  private static CloseCode rejectedWith(CodecOptions options, byte[] header) {
    try {
      FrameDecoder.create(options).decode(ByteBuffer.wrap(header), frame -> {});
    } catch (McpException e) {
      return e.closeCode();
    }
    throw new AssertionError("header accepted: " + hex(header));
  }

  /** Encodes, decodes one byte at a time, and returns the single frame that comes out. */
  private static Frame throughTheCodec(Frame frame) {
    byte[] bytes = FrameEncoder.create().encode(frame);
    Outcome outcome = Chunking.feed(FrameDecoder.create(), bytes, Chunking.everyByte(bytes.length),
        BufferKind.HEAP, ByteOrder.BIG_ENDIAN);
    assertThat(outcome.frames()).containsExactly(frame);
    return outcome.frames().get(0);
  }

  private static void assertFrameTooLarge(Runnable call) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(McpException.class,
        e -> assertThat(e.closeCode()).isEqualTo(CloseCode.FRAME_TOO_LARGE));
  }

  /** A header written by hand: the length in {@code order}, then the command byte. */
  private static byte[] header(ByteOrder order, long length, int code) {
    byte[] header = new byte[HEADER_BYTES];
    for (int i = 0; i < 4; i++) {
      int shift = order == ByteOrder.BIG_ENDIAN ? 24 - 8 * i : 8 * i;
      header[i] = (byte) (length >>> shift);
    }
    header[4] = (byte) code;
    return header;
  }

  private static byte[] payload(int length, long seed) {
    byte[] payload = new byte[length];
    new Random(seed).nextBytes(payload);
    return payload;
  }

  private static byte[] encodeAll(Rules rules, List<Frame> frames) {
    FrameEncoder encoder = FrameEncoder.create(rules.options());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    frames.forEach(frame -> out.writeBytes(encoder.encode(frame)));
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  /** The remaining bytes of {@code buffer}, without moving it. */
  private static byte[] bytes(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.duplicate().get(bytes);
    return bytes;
  }

  private static void fill(ByteBuffer buffer) {
    for (int i = 0; i < buffer.capacity(); i++) {
      buffer.put(i, FILLER);
    }
  }

  private static int utf8Length(int codePoint) {
    return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
  }

  /** Hex of up to 64 bytes, then the total length. */
  static String hex(byte[] bytes) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < Math.min(bytes.length, 64); i++) {
      s.append(String.format("%02x", bytes[i]));
    }
    return bytes.length > 64 ? s + "...(" + bytes.length + " bytes)" : s.toString();
  }

  /** Bytes this thread allocated, as the JVM counts them. */
  private static final class AllocationCounter {
    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** The least allocation of five runs of {@code action}, after two runs to warm up. */
    long leastAllocatedBy(Runnable action) {
      action.run();
      action.run();
      long least = Long.MAX_VALUE;
      for (int i = 0; i < 5; i++) {
        long before = threads.getCurrentThreadAllocatedBytes();
        action.run();
        least = Math.min(least, threads.getCurrentThreadAllocatedBytes() - before);
      }
      return least;
    }

    /** Skips a test when this JVM can't count a thread's allocation; enables counting if off. */
    static final class SkipUnlessSupported implements SkipExecutionHook {
      @Override
      public SkipResult shouldBeSkipped(LifecycleContext context) {
        if (!(ManagementFactory.getThreadMXBean()
            instanceof com.sun.management.ThreadMXBean threads)
            || !threads.isThreadAllocatedMemorySupported()) {
          return SkipResult.skip("this JVM does not count allocated bytes per thread");
        }
        if (!threads.isThreadAllocatedMemoryEnabled()) {
          threads.setThreadAllocatedMemoryEnabled(true);
        }
        return SkipResult.doNotSkip();
      }
    }
  }
}
