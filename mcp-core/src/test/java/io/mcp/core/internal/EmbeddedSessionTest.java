package io.mcp.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.codec.Close;
import io.mcp.codec.CloseCode;
import io.mcp.codec.CodecOptions;
import io.mcp.codec.Command;
import io.mcp.codec.Envelope;
import io.mcp.codec.Frame;
import io.mcp.codec.FrameEncoder;
import io.mcp.codec.Heartbeat;
import io.mcp.core.Identity;
import io.mcp.core.MessageHandlers;
import io.mcp.core.RequestException;
import io.mcp.core.Session;
import io.mcp.core.SessionClose;
import io.mcp.core.SessionListener;
import io.mcp.core.SessionState;
import io.mcp.core.proto.Hello;
import io.mcp.core.spi.ExtensionRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The session handler's timers and state machine on an {@link EmbeddedChannel} with frozen time:
 * every timeout is checked to the millisecond by advancing the event loop's clock, with no sleeps.
 */
class EmbeddedSessionTest {
  static final Duration INTERVAL = Duration.ofSeconds(5);

  final List<String> transitions = new ArrayList<>();
  final List<SessionClose> closes = new ArrayList<>();
  EmbeddedChannel channel;
  NettySession session;
  EmbeddedFrames frames;

  EmbeddedChannel server(Duration handshakeTimeout, Duration idleTimeout) throws Exception {
    SessionListener recorder = new SessionListener() {
      @Override
      public void onStateChanged(Session s, SessionState from, SessionState to) {
        transitions.add(from + "->" + to);
      }

      @Override
      public void onClosed(Session s, SessionClose close) {
        closes.add(close);
      }
    };
    SessionConfig config = new SessionConfig(CodecOptions.defaults(), 64 * 1024, handshakeTimeout, idleTimeout, 10,
        Duration.ofSeconds(2), List.of(recorder), ExtensionRegistry.empty(), MessageHandlers.none(), Runnable::run,
        1024, 1024, 8L << 20, Duration.ofSeconds(30));
    // Register and freeze time first, then add the handlers and activate: every timer starts on
    // the frozen clock, so deadlines are exact.
    channel = new EmbeddedChannel(DefaultChannelId.newInstance(), false, false);
    frames = new EmbeddedFrames(channel);
    channel.register();
    channel.freezeTime();
    session = new NettySession(channel, config);
    NettyFrameDecoder decoder = ServerSessionHandler.newDecoder(config);
    channel.pipeline().addLast(decoder, new ServerSessionHandler(config, session, decoder, new ServerGate(10, 10),
        request -> Identity.of(request.nodeId()), "embedded", ms -> ms == 0 ? INTERVAL : Duration.ofMillis(ms), null));
    channel.pipeline().fireChannelActive();
    return channel;
  }

  @AfterEach
  void release() {
    if (channel != null) {
      channel.finishAndReleaseAll();
    }
  }

  void inbound(Frame frame) {
    frames.inbound(frame);
  }

  /** Frames the handler wrote, decoded. */
  List<Frame> written() {
    return frames.written();
  }

  /** Advances the frozen clock; tasks due within the step run seeing the clock at its end. */
  void advance(long millis) {
    frames.advance(millis);
  }

  void handshake() throws Exception {
    inbound(Frame.of(Command.HANDSHAKE, Hello.newBuilder().setProtocolVersion(1).setNodeId("n1").build().toByteArray()));
    List<Frame> welcome = written();
    assertThat(welcome).extracting(Frame::command).containsExactly(Command.HANDSHAKE);
    assertThat(session.state()).isEqualTo(SessionState.READY);
  }

  @Test
  void handshakeTimeout_firesAtExactlyTheTimeout() throws Exception {
    server(Duration.ofSeconds(10), null);

    advance(9_999);
    assertThat(written()).isEmpty();
    assertThat(session.state()).isEqualTo(SessionState.HANDSHAKING);

    advance(1);
    List<Frame> frames = written();
    assertThat(frames).hasSize(1);
    assertThat(Close.decode(frames.get(0))).isEqualTo(Close.of(CloseCode.HANDSHAKE_TIMEOUT, "no Hello within 10000 ms"));
    assertThat(session.state()).isEqualTo(SessionState.CLOSING);
  }

  @Test
  void afterClose_channelClosedWhenTheDrainTimeoutEnds() throws Exception {
    server(Duration.ofSeconds(1), null);
    advance(1_000);
    written();

    advance(1_999);
    assertThat(channel.isOpen()).isTrue();
    advance(1);

    assertThat(channel.isOpen()).isFalse();
    assertThat(session.state()).isEqualTo(SessionState.CLOSED);
    assertThat(closes).containsExactly(SessionClose.local(CloseCode.HANDSHAKE_TIMEOUT, "no Hello within 1000 ms"));
  }

  @Test
  void everyTransitionIsObserved_inOrder() throws Exception {
    server(Duration.ofSeconds(10), null);
    handshake();
    inbound(Close.of(CloseCode.NORMAL, "done").toFrame());

    assertThat(transitions).containsExactly("CONNECTING->HANDSHAKING", "HANDSHAKING->READY", "READY->CLOSING",
        "CLOSING->CLOSED");
    assertThat(closes).containsExactly(SessionClose.remote(CloseCode.NORMAL, "done"));
  }

  @Test
  void ready_cancelsTheHandshakeTimer() throws Exception {
    server(Duration.ofSeconds(10), null);
    handshake();

    advance(10_000); // the handshake timeout would have fired here; a ping is due at 5 s instead

    assertThat(written()).extracting(Frame::command).containsOnly(Command.HEARTBEAT);
    assertThat(session.state()).isEqualTo(SessionState.READY);
  }

  @Test
  void writeIdleForOneInterval_sendsAPing() throws Exception {
    server(Duration.ofSeconds(10), null);
    handshake();

    advance(4_999);
    assertThat(written()).isEmpty();
    advance(1);

    List<Frame> frames = written();
    assertThat(frames).hasSize(1);
    assertThat(Heartbeat.decode(frames.get(0)).kind()).isEqualTo(Heartbeat.Kind.PING);
  }

  @Test
  void writes_postponeThePing() throws Exception {
    server(Duration.ofSeconds(10), null);
    handshake();
    advance(3_000);
    session.send("note", java.nio.ByteBuffer.wrap(new byte[] {1}));
    channel.runPendingTasks();
    assertThat(written()).extracting(Frame::command).containsExactly(Command.DATA);

    advance(4_999); // 7,999 ms after READY, 4,999 ms after the last write
    assertThat(written()).isEmpty();
    advance(1);

    assertThat(written()).extracting(Frame::command).containsExactly(Command.HEARTBEAT);
  }

  @Test
  void pong_givesTheRoundTripTimeByTheEventLoopClock() throws Exception {
    server(Duration.ofSeconds(10), null);
    handshake();
    advance(5_000);
    Heartbeat ping = Heartbeat.decode(written().get(0));

    advance(37);
    inbound(ping.toPong().toFrame());

    assertThat(session.lastRtt()).contains(Duration.ofMillis(37));
  }

  @Test
  void pongForAnOlderPing_stillGivesTheRtt_whenTheRoundTripExceedsTheInterval() throws Exception {
    server(Duration.ofSeconds(10), null);
    handshake();
    advance(5_000);
    Heartbeat first = Heartbeat.decode(written().get(0));
    advance(5_000); // write-idle again: a second ping while the first is unanswered
    Heartbeat second = Heartbeat.decode(written().get(0));
    assertThat(second.opaque()).isNotEqualTo(first.opaque());

    advance(120);
    inbound(first.toPong().toFrame());

    assertThat(session.lastRtt()).contains(Duration.ofMillis(5_120)); // from the first ping, sent at 5 s
  }

  @Test
  void pingsQueuedWhileThisSideStalled_arriveTogether_allowedOnePerStalledInterval() throws Exception {
    server(Duration.ofSeconds(10), null);
    handshake();
    written();
    // The event loop stalls for 12 agreed intervals (5 s): time passes, no task runs, nothing is read.
    channel.advanceTimeBy(60_000, TimeUnit.MILLISECONDS);
    // Meanwhile a well-behaved peer pinged once per interval; with the limit's 10 that is 22 at once.
    ByteBuf batch = Unpooled.buffer();
    for (int i = 0; i < 22; i++) {
      batch.writeBytes(FrameEncoder.create().encode(Heartbeat.ping(i).toFrame()));
    }
    channel.writeInbound(batch);

    assertThat(session.state()).isEqualTo(SessionState.READY);
    assertThat(written()).filteredOn(f -> f.command() == Command.HEARTBEAT)
        .extracting(f -> Heartbeat.decode(f).kind()).containsOnly(Heartbeat.Kind.PONG, Heartbeat.Kind.PING)
        .filteredOn(k -> k == Heartbeat.Kind.PONG).hasSize(22);

    inbound(Heartbeat.ping(22).toFrame()); // one more in the same interval is a flood

    SessionClose close = session.closeReason().orElseThrow();
    assertThat(close.code()).isEqualTo(CloseCode.TOO_MANY_PINGS);
    assertThat(close.reason()).isEqualTo("23 pings within one heartbeat interval of 5000 ms exceed max 22"
        + " (10 plus one per interval this side was not reading)");
  }

  /** A socket that takes writes into the channel's outbound buffer but sends nothing until resumed. */
  static final class StalledSocket extends ChannelOutboundHandlerAdapter {
    private ChannelHandlerContext ctx;
    private boolean stalled = true;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
      if (!stalled) {
        ctx.flush();
      }
    }

    void resume() {
      stalled = false;
      ctx.flush();
    }
  }

  @Test
  void pong_overtakesApplicationFramesBeyondTheHighWaterMark() throws Exception {
    int lowWaterMark = 256 * 1024;
    int highWaterMark = 1024 * 1024;
    int bodyBytes = 64 * 1024;
    int sends = 64; // 4 MiB, half the 8 MiB budget
    server(Duration.ofSeconds(10), null);
    channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(lowWaterMark, highWaterMark));
    handshake();
    StalledSocket socket = new StalledSocket();
    channel.pipeline().addFirst(socket);
    List<CompletableFuture<Void>> results = new ArrayList<>();
    for (int i = 0; i < sends; i++) {
      ByteBuffer body = ByteBuffer.allocate(bodyBytes).putInt(0, i);
      results.add(session.send("bulk", body));
    }
    channel.runPendingTasks();
    assertThat(channel.isWritable()).isFalse();
    assertThat(session.queuedBytes()).isGreaterThan((long) sends * bodyBytes);

    inbound(Heartbeat.ping(42).toFrame());
    socket.resume();
    channel.runPendingTasks();

    long bytesBeforePong = -1;
    long bytes = 0;
    List<Integer> order = new ArrayList<>();
    int frameBytes = 0;
    for (Frame frame : written()) {
      if (frame.command() == Command.HEARTBEAT) {
        assertThat(Heartbeat.decode(frame)).isEqualTo(Heartbeat.pong(42));
        bytesBeforePong = bytes;
      } else {
        assertThat(frame.command()).isEqualTo(Command.DATA);
        order.add(Envelope.decode(frame.payload()).body().getInt(0));
        frameBytes = FrameEncoder.HEADER_BYTES + frame.payloadLength();
      }
      bytes += FrameEncoder.HEADER_BYTES + frame.payloadLength();
    }
    assertThat(bytesBeforePong).as("application bytes written ahead of the pong")
        .isBetween(0L, (long) highWaterMark + frameBytes);
    assertThat(bytes - bytesBeforePong).as("application bytes the session held back").isGreaterThan(2L * highWaterMark);
    assertThat(order).as("application frames keep their order").isEqualTo(
        java.util.stream.IntStream.range(0, sends).boxed().toList());
    assertThat(results).allSatisfy(r -> assertThat(r).isCompleted());
    assertThat(session.queuedBytes()).isZero();
  }

  @Test
  void framesHeldWhenTheSessionCloses_failInsteadOfFollowingTheClose() throws Exception {
    server(Duration.ofSeconds(10), null);
    channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(32 * 1024, 64 * 1024));
    handshake();
    StalledSocket socket = new StalledSocket();
    channel.pipeline().addFirst(socket);
    List<CompletableFuture<Void>> results = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      results.add(session.send("bulk", ByteBuffer.allocate(32 * 1024)));
    }
    channel.runPendingTasks();

    session.close(CloseCode.GOING_AWAY, "maintenance");
    socket.resume();
    channel.runPendingTasks();

    List<Frame> frames = written();
    assertThat(frames.get(frames.size() - 1)).isEqualTo(Close.of(CloseCode.GOING_AWAY, "maintenance").toFrame());
    long written = frames.stream().filter(f -> f.command() == Command.DATA).count();
    assertThat(written).isBetween(1L, 7L);
    assertThat(results.subList(0, (int) written)).allSatisfy(r -> assertThat(r).isCompleted());
    assertThat(results.subList((int) written, results.size())).allSatisfy(r -> assertThat(r.handle((ok, e) -> e).join())
        .isInstanceOf(RequestException.class).hasMessageEndingWith(" is closing; the frame was not written"));
    assertThat(session.queuedBytes()).isZero();
  }

  @Test
  void beforeTheWelcome_theChannelIdStandsInForTheSessionId() throws Exception {
    server(Duration.ofSeconds(10), null);
    String placeholder = "ch-" + channel.id().asShortText();

    assertThat(session.send("early", ByteBuffer.allocate(1)).handle((ok, e) -> e).join())
        .hasMessage("session " + placeholder + " is HANDSHAKING, not READY");
    assertThat(session.logId()).isEqualTo(placeholder);
    assertThat(session.id()).isEmpty();
    handshake();
    assertThat(session.logId()).isEqualTo(session.id()).hasSize(32);
  }

  @Test
  void pongForAnotherPing_ignored() throws Exception {
    server(Duration.ofSeconds(10), null);
    handshake();
    advance(5_000);
    Heartbeat ping = Heartbeat.decode(written().get(0));

    inbound(Heartbeat.pong(ping.opaque() + 1).toFrame());

    assertThat(session.lastRtt()).isEmpty();
  }

  @Test
  void readIdle_closedAtThreeIntervals() throws Exception {
    server(Duration.ofSeconds(10), null);
    handshake();

    advance(5_000);
    advance(5_000);
    advance(4_999);
    assertThat(written()).extracting(Frame::command).containsExactly(Command.HEARTBEAT, Command.HEARTBEAT);
    assertThat(session.state()).isEqualTo(SessionState.READY);
    advance(1);

    List<Frame> frames = written();
    assertThat(Close.decode(frames.get(frames.size() - 1)))
        .isEqualTo(Close.of(CloseCode.IDLE_TIMEOUT, "nothing read for 15000 ms (idle timeout 15000 ms)"));
  }

  @Test
  void anyInboundFrame_provesLiveness() throws Exception {
    server(Duration.ofSeconds(10), null);
    handshake();
    advance(5_000);
    advance(5_000);
    inbound(Frame.of(Command.DATA, io.mcp.codec.Envelope.oneWay("note", java.util.Map.of(),
        java.nio.ByteBuffer.allocate(0)).encode()));

    advance(5_000);
    advance(5_000);
    advance(4_999);
    assertThat(session.state()).isEqualTo(SessionState.READY);
    advance(1);

    assertThat(session.state()).isEqualTo(SessionState.CLOSING);
    assertThat(session.closeReason().orElseThrow().code()).isEqualTo(CloseCode.IDLE_TIMEOUT);
  }

  @Test
  void bytesOfAnUnfinishedFrame_proveLivenessToo() throws Exception {
    server(Duration.ofSeconds(10), null);
    handshake();
    advance(5_000);
    advance(5_000);
    channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 100, 2, 1, 2})); // 2 of 100 payload bytes

    advance(5_000);
    advance(5_000);
    advance(4_999);
    assertThat(session.state()).isEqualTo(SessionState.READY);
    advance(1);

    assertThat(session.closeReason().orElseThrow().code()).isEqualTo(CloseCode.IDLE_TIMEOUT);
  }

  @Test
  void fixedIdleTimeout_overridesThreeIntervals() throws Exception {
    server(Duration.ofSeconds(10), Duration.ofMillis(7_500));
    handshake();

    advance(7_499);
    assertThat(session.state()).isEqualTo(SessionState.READY);
    advance(1);

    assertThat(session.closeReason().orElseThrow().reason()).isEqualTo("nothing read for 7500 ms (idle timeout 7500 ms)");
  }

  @Test
  void pingLimit_countsPerIntervalWindow() throws Exception {
    server(Duration.ofSeconds(10), null);
    handshake();
    for (int i = 0; i < 10; i++) {
      inbound(Heartbeat.ping(i).toFrame());
    }
    assertThat(written()).hasSize(10);
    advance(5_000); // a new window, after one interval in which nothing was read: one more is allowed
    written();
    for (int i = 0; i < 11; i++) {
      inbound(Heartbeat.bare().toFrame());
    }
    assertThat(session.state()).isEqualTo(SessionState.READY);

    inbound(Heartbeat.bare().toFrame());

    assertThat(session.closeReason().orElseThrow().code()).isEqualTo(CloseCode.TOO_MANY_PINGS);
  }

  @Test
  void pongs_areNotCountedAsPings() throws Exception {
    server(Duration.ofSeconds(10), null);
    handshake();
    for (int i = 0; i < 50; i++) {
      inbound(Heartbeat.pong(i).toFrame());
    }

    assertThat(session.state()).isEqualTo(SessionState.READY);
  }

  @Test
  void listenerThatThrows_doesNotHarmTheSession() throws Exception {
    server(Duration.ofSeconds(10), null);
    session.addListener(new SessionListener() {
      @Override
      public void onReady(Session s) {
        throw new IllegalStateException("listener bug");
      }
    });

    handshake();

    assertThat(session.state()).isEqualTo(SessionState.READY);
  }

  @Test
  void stateMachine_rejectsIllegalTransitions() throws Exception {
    server(Duration.ofSeconds(10), null);
    handshake();

    assertThat(session.transition(SessionState.HANDSHAKING, null)).isFalse();
    assertThat(session.transition(SessionState.CONNECTING, null)).isFalse();
    assertThat(session.state()).isEqualTo(SessionState.READY);
  }

  @Test
  void sessionState_transitionTable() {
    for (SessionState from : SessionState.values()) {
      for (SessionState to : SessionState.values()) {
        boolean forward = to.ordinal() > from.ordinal();
        boolean skipsHandshake = from == SessionState.CONNECTING && to == SessionState.READY;
        assertThat(from.canTransitionTo(to)).as(from + "->" + to).isEqualTo(forward && !skipsHandshake);
      }
    }
  }
}
