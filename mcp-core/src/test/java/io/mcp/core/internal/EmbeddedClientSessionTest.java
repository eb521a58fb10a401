package io.mcp.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.mcp.codec.Close;
import io.mcp.codec.CloseCode;
import io.mcp.codec.CodecOptions;
import io.mcp.codec.Command;
import io.mcp.codec.Frame;
import io.mcp.codec.Heartbeat;
import io.mcp.core.MessageHandlers;
import io.mcp.core.Session;
import io.mcp.core.SessionClose;
import io.mcp.core.SessionListener;
import io.mcp.core.SessionState;
import io.mcp.core.proto.Hello;
import io.mcp.core.proto.Welcome;
import io.mcp.core.spi.ExtensionRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client end of the handshake (PROTOCOL.md §6.4 to §6.6) and its idle timeout, on an {@link
 * EmbeddedChannel} with frozen time: the test plays the server byte by byte, and every timeout is
 * checked to the millisecond by advancing the event loop's clock, with no sleeps.
 */
class EmbeddedClientSessionTest {
  static final int PRE_HANDSHAKE_MAX = 64 * 1024;

  final List<String> transitions = new ArrayList<>();
  final List<SessionClose> closes = new ArrayList<>();
  EmbeddedFrames frames;
  final Hello hello = ClientSessionHandler.hello("node-1", "svc", "token", 0, Map.of(), Map.of());
  EmbeddedChannel channel;
  NettySession session;

  /** A client channel that has connected and sent its Hello (which is consumed and checked). */
  void client(Duration handshakeTimeout) throws Exception {
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
    // The values McpClient gives its SessionConfig, except the handshake timeout.
    SessionConfig config = new SessionConfig(CodecOptions.defaults(), PRE_HANDSHAKE_MAX, handshakeTimeout, null, 10,
        Duration.ofSeconds(2), List.of(recorder), ExtensionRegistry.empty(), MessageHandlers.none(), Runnable::run,
        1024, 1024, 8L << 20, Duration.ofSeconds(30));
    // Register and freeze time first, then add the handlers and activate: every timer starts on
    // the frozen clock, so deadlines are exact.
    channel = new EmbeddedChannel(DefaultChannelId.newInstance(), false, false);
    frames = new EmbeddedFrames(channel);
    channel.register();
    channel.freezeTime();
    session = new NettySession(channel, config);
    NettyFrameDecoder decoder = ClientSessionHandler.newDecoder(config);
    channel.pipeline().addLast(decoder, new ClientSessionHandler(config, session, decoder, hello));
    channel.pipeline().fireChannelActive();

    List<Frame> first = written();
    assertThat(first).as("the Hello is the client's first and only frame").hasSize(1);
    assertThat(first.get(0).command()).isEqualTo(Command.HANDSHAKE);
    assertThat(first.get(0).payloadBytes()).isEqualTo(hello.toByteArray());
    assertThat(session.state()).isEqualTo(SessionState.HANDSHAKING);
  }

  @AfterEach
  void release() {
    if (channel != null) {
      channel.finishAndReleaseAll();
    }
  }

  static Welcome.Builder welcome() {
    return Welcome.newBuilder().setSessionId("s-1").setServerId("ctl-a").setProtocolVersion(1)
        .setHeartbeatIntervalMs(5_000);
  }

  void inbound(Frame frame) {
    frames.inbound(frame);
  }

  void inboundWelcome(Welcome welcome) {
    inbound(Frame.of(Command.HANDSHAKE, welcome.toByteArray()));
  }

  /** Frames the handler wrote, decoded. */
  List<Frame> written() {
    return frames.written();
  }

  /** The only frame written since the last call, which must be a CLOSE. */
  Close closeWritten() {
    List<Frame> frames = written();
    assertThat(frames).extracting(Frame::command).containsExactly(Command.CLOSE);
    return Close.decode(frames.get(0));
  }

  /** Advances the frozen clock; tasks due within the step run seeing the clock at its end. */
  void advance(long millis) {
    frames.advance(millis);
  }

  @Test
  void noWelcome_handshakeTimeoutAtExactlyTheTimeout() throws Exception {
    client(Duration.ofSeconds(10));

    advance(9_999);
    assertThat(written()).isEmpty();
    assertThat(session.state()).isEqualTo(SessionState.HANDSHAKING);
    advance(1);

    Close expected = Close.of(CloseCode.HANDSHAKE_TIMEOUT, "no Welcome within 10000 ms");
    assertThat(closeWritten()).isEqualTo(expected);
    assertThat(session.state()).isEqualTo(SessionState.CLOSING);
    assertThat(session.closeReason()).contains(SessionClose.local(expected.code(), expected.reason()));
  }

  @Test
  void malformedWelcome_protocolError() throws Exception {
    client(Duration.ofSeconds(10));

    // Field 1 (session_id) declares 16 bytes, but only 1 follows.
    inbound(Frame.of(Command.HANDSHAKE, new byte[] {0x0a, 0x10, 0x61}));

    Close close = closeWritten();
    assertThat(close.code()).isEqualTo(CloseCode.PROTOCOL_ERROR);
    assertThat(close.reason()).startsWith("malformed Welcome: ");
    assertThat(session.state()).isEqualTo(SessionState.CLOSING);
    assertThat(transitions).doesNotContain("HANDSHAKING->READY");
  }

  @Test
  void welcomeProtocolVersion2_unsupportedVersion() throws Exception {
    client(Duration.ofSeconds(10));

    inboundWelcome(welcome().setProtocolVersion(2).build());

    assertThat(closeWritten())
        .isEqualTo(Close.of(CloseCode.UNSUPPORTED_VERSION, "server answered protocol version 2 (supported: 1)"));
    assertThat(transitions).doesNotContain("HANDSHAKING->READY");
  }

  @Test
  void welcomeWithoutProtocolVersion_unsupportedVersion() throws Exception {
    client(Duration.ofSeconds(10));

    inboundWelcome(welcome().clearProtocolVersion().build());

    assertThat(closeWritten())
        .isEqualTo(Close.of(CloseCode.UNSUPPORTED_VERSION, "server answered protocol version 0 (supported: 1)"));
  }

  @Test
  void welcomeHeartbeatIntervalZero_protocolError() throws Exception {
    client(Duration.ofSeconds(10));

    // PROTOCOL.md §6.5 step 3: the client closes with PROTOCOL_ERROR; it does not fall back to a default.
    inboundWelcome(welcome().setHeartbeatIntervalMs(0).build());

    assertThat(closeWritten()).isEqualTo(Close.of(CloseCode.PROTOCOL_ERROR, "Welcome.heartbeat_interval_ms is 0"));
    assertThat(transitions).doesNotContain("HANDSHAKING->READY");
  }

  @Test
  void welcomeWithBadVersionAndIntervalZero_versionCheckedFirst() throws Exception {
    client(Duration.ofSeconds(10));

    inboundWelcome(welcome().setProtocolVersion(2).setHeartbeatIntervalMs(0).build());

    assertThat(closeWritten().code()).isEqualTo(CloseCode.UNSUPPORTED_VERSION);
  }

  @Test
  void validWelcome_readyWithTheServersInterval_andTheHandshakeTimerCancelled() throws Exception {
    client(Duration.ofSeconds(10));

    inboundWelcome(welcome().setHeartbeatIntervalMs(7_000).build());

    assertThat(session.state()).isEqualTo(SessionState.READY);
    assertThat(session.id()).isEqualTo("s-1");
    assertThat(session.identity().name()).isEqualTo("ctl-a");
    assertThat(session.heartbeatInterval()).isEqualTo(Duration.ofMillis(7_000));
    advance(6_999);
    assertThat(written()).isEmpty();
    advance(1); // write-idle for the agreed interval: a ping; 10 s would be the handshake timeout
    assertThat(written()).extracting(Frame::command).containsExactly(Command.HEARTBEAT);
    advance(3_000);
    assertThat(written()).isEmpty();
    assertThat(session.state()).isEqualTo(SessionState.READY);
  }

  @Test
  void silentServerAfterReady_idleTimeoutAtThreeIntervals() throws Exception {
    client(Duration.ofSeconds(10));
    inboundWelcome(welcome().build());

    advance(5_000);
    advance(5_000);
    advance(4_999);
    assertThat(written()).extracting(Frame::command).containsExactly(Command.HEARTBEAT, Command.HEARTBEAT);
    assertThat(session.state()).isEqualTo(SessionState.READY);
    advance(1);

    Close expected = Close.of(CloseCode.IDLE_TIMEOUT, "nothing read for 15000 ms (idle timeout 15000 ms)");
    assertThat(closeWritten()).isEqualTo(expected);
    assertThat(session.closeReason()).contains(SessionClose.local(expected.code(), expected.reason()));
  }

  @Test
  void serverAnsweringPings_keepsTheClientReady() throws Exception {
    client(Duration.ofSeconds(10));
    inboundWelcome(welcome().build());

    for (int i = 0; i < 10; i++) {
      advance(5_000);
      Heartbeat ping = Heartbeat.decode(written().get(0));
      inbound(ping.toPong().toFrame());
    }

    assertThat(session.state()).isEqualTo(SessionState.READY);
  }

  @Test
  void frameOverThePreHandshakeLimit_frameTooLargeFromTheHeader() throws Exception {
    client(Duration.ofSeconds(10));

    // Only the 5 header bytes: the limit is applied before any payload arrives.
    channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 1, 0, 1, 1})); // 65,537, HANDSHAKE

    assertThat(closeWritten())
        .isEqualTo(Close.of(CloseCode.FRAME_TOO_LARGE, "declared length 65537 exceeds max 65536"));
    assertThat(transitions).doesNotContain("HANDSHAKING->READY");
  }

  @Test
  void welcomeOfExactlyThePreHandshakeLimit_accepted() throws Exception {
    client(Duration.ofSeconds(10));
    Welcome small = welcome().build();
    // Pad with an unknown field (which a reader skips) to exactly 65,536 bytes:
    // tag (1 byte) + varint length (3 bytes) + padding.
    int padding = PRE_HANDSHAKE_MAX - small.getSerializedSize() - 4;
    Welcome padded = small.toBuilder().setUnknownFields(UnknownFieldSet.newBuilder()
        .addField(15, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFrom(new byte[padding]))
            .build())
        .build()).build();
    assertThat(padded.getSerializedSize()).isEqualTo(PRE_HANDSHAKE_MAX);

    inboundWelcome(padded);

    assertThat(session.state()).isEqualTo(SessionState.READY);
    assertThat(written()).isEmpty();
  }

  @Test
  void afterReady_theFullPayloadLimitApplies() throws Exception {
    client(Duration.ofSeconds(10));
    inboundWelcome(welcome().build());

    // The header of a 1 MiB DATA frame: above the pre-handshake limit, below the 4 MiB maximum.
    channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0x10, 0, 0, 2}));

    assertThat(written()).isEmpty();
    assertThat(session.state()).isEqualTo(SessionState.READY);
  }

  @Test
  void dataBeforeWelcome_protocolError() throws Exception {
    client(Duration.ofSeconds(10));

    inbound(Frame.of(Command.DATA, new byte[] {1}));

    assertThat(closeWritten()).isEqualTo(Close.of(CloseCode.PROTOCOL_ERROR, "DATA before the handshake completed"));
  }

  @Test
  void closeInsteadOfWelcome_reportedAsRemote_andNoCloseSentBack() throws Exception {
    client(Duration.ofSeconds(10));

    inbound(Close.of(CloseCode.OVERLOADED, "10000 connections (max 10000)").toFrame());

    assertThat(written()).isEmpty();
    assertThat(channel.isOpen()).isFalse();
    assertThat(closes).containsExactly(SessionClose.remote(CloseCode.OVERLOADED, "10000 connections (max 10000)"));
    assertThat(transitions).containsExactly("CONNECTING->HANDSHAKING", "HANDSHAKING->CLOSING", "CLOSING->CLOSED");
  }

  @Test
  void secondWelcome_protocolError() throws Exception {
    client(Duration.ofSeconds(10));
    inboundWelcome(welcome().build());

    inboundWelcome(welcome().build());

    assertThat(closeWritten()).isEqualTo(Close.of(CloseCode.PROTOCOL_ERROR, "second HANDSHAKE on a READY session"));
  }
}
