package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.codec.Close;
import io.mcp.codec.CloseCode;
import io.mcp.codec.Command;
import io.mcp.codec.Envelope;
import io.mcp.codec.ErrorCode;
import io.mcp.codec.Frame;
import io.mcp.codec.FrameEncoder;
import io.mcp.codec.Heartbeat;
import io.mcp.codec.McpException;
import io.mcp.core.auth.Authenticators;
import io.mcp.core.internal.NettySession;
import io.mcp.core.proto.Welcome;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every MCP/1 session rule over real loopback sockets: a raw peer built from the codec alone breaks
 * each rule and must receive the right CLOSE; after each case a fresh client still works.
 */
class SessionProtocolTest {
  static final String TOKEN = "s3cr3t-token-for-tests";

  /** Answers every request with its own body. */
  static final MessageHandlers ECHO = MessageHandlers.builder().fallback(message -> Reply.of(message.body())).build();

  McpServer server;
  final LinkedBlockingQueue<SessionClose> serverCloses = new LinkedBlockingQueue<>();
  final LinkedBlockingQueue<Session> serverReady = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() {
    server = start(ServerOptions.builder());
  }

  McpServer start(ServerOptions.Builder builder) {
    return McpServer.create(builder
        .host("127.0.0.1")
        .port(0)
        .ioThreads(2)
        .authenticator(Authenticators.staticToken(TOKEN))
        .handlers(ECHO)
        .addListener(new SessionListener() {
          @Override
          public void onReady(Session session) {
            serverReady.add(session);
          }

          @Override
          public void onClosed(Session session, SessionClose close) {
            serverCloses.add(close);
          }
        })
        .build()).start();
  }

  @AfterEach
  void stop() throws Exception {
    try {
      assertServerStillServes(server);
    } finally {
      server.shutdown(Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
    }
  }

  InetSocketAddress address() {
    return new InetSocketAddress("127.0.0.1", server.port());
  }

  RawPeer peer() throws IOException {
    return new RawPeer(address());
  }

  /** A fresh client handshakes and gets its DATA echoed: the server was not harmed. */
  static void assertServerStillServes(McpServer server) throws Exception {
    try (McpClient client = McpClient.create(ClientOptions.builder("health-check").serviceName("svc").token(TOKEN)
        .build())) {
      Session session = client.connect(new InetSocketAddress("127.0.0.1", server.port())).get(10, TimeUnit.SECONDS);
      Reply reply = session.request("echo", ByteBuffer.wrap("still alive".getBytes(StandardCharsets.UTF_8)),
          Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
      assertThat(new String(reply.bodyBytes(), StandardCharsets.UTF_8)).isEqualTo("still alive");
      session.close().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void handshake_clientAndServerReady_withNegotiatedValues() throws Exception {
    try (McpClient client = McpClient.create(ClientOptions.builder("node-1").serviceName("payments").token(TOKEN)
        .heartbeatInterval(Duration.ofMillis(200)) // below the server's 1 s minimum: clamped
        .appliedVersion("payments", 41).metadata("zone", "eu-1").build())) {
      Session clientSession = client.connect(address()).get(10, TimeUnit.SECONDS);
      Session serverSession = serverReady.poll(10, TimeUnit.SECONDS);

      assertThat(clientSession.state()).isEqualTo(SessionState.READY);
      assertThat(serverSession.nodeId()).isEqualTo("node-1");
      assertThat(serverSession.serviceName()).isEqualTo("payments");
      assertThat(serverSession.metadata()).containsEntry("zone", "eu-1");
      assertThat(serverSession.appliedVersions()).containsEntry("payments", 41L);
      assertThat(serverSession.identity().name()).isEqualTo("node-1");
      assertThat(serverSession.heartbeatInterval()).isEqualTo(Duration.ofSeconds(1));
      assertThat(clientSession.heartbeatInterval()).isEqualTo(Duration.ofSeconds(1));
      assertThat(clientSession.id()).isEqualTo(serverSession.id()).hasSize(32);
    }
  }

  @Test
  void rawPeer_helloAnsweredWithWelcome() throws Exception {
    try (RawPeer peer = peer()) {
      Frame frame = peer.handshake(RawPeer.hello("raw").setToken(TOKEN).setHeartbeatIntervalMs(0).build());
      Welcome welcome = Welcome.parseFrom(frame.payload());

      assertThat(welcome.getProtocolVersion()).isEqualTo(1);
      assertThat(welcome.getHeartbeatIntervalMs()).isEqualTo(5000);
      assertThat(welcome.getServerId()).isEqualTo(server.options().serverId());
      assertThat(welcome.getSessionId()).isNotEmpty();
    }
  }

  @Test
  void fragmentedHello_oneBytePerWrite_stillHandshakes() throws Exception {
    try (RawPeer peer = peer()) {
      peer.sendOneBytePerWrite(Command.HANDSHAKE, RawPeer.hello("frag").setToken(TOKEN).build().toByteArray());
      assertThat(peer.read().command()).isEqualTo(Command.HANDSHAKE);
      peer.sendOneBytePerWrite(Command.DATA, io.mcp.codec.Envelope.request(1, "echo", 0, java.util.Map.of(),
          ByteBuffer.wrap(new byte[] {1, 2, 3})).encode());
      assertThat(peer.readResponse(1)).containsExactly(1, 2, 3);
    }
  }

  @Test
  void coalescedFrames_inOneWrite_allHandled() throws Exception {
    try (RawPeer peer = peer()) {
      peer.handshake(RawPeer.hello("coalesced").setToken(TOKEN).build());
      java.io.ByteArrayOutputStream batch = new java.io.ByteArrayOutputStream();
      io.mcp.codec.FrameEncoder encoder = io.mcp.codec.FrameEncoder.create();
      batch.writeBytes(encoder.encode(Frame.of(Command.DATA, request(1, "a"))));
      batch.writeBytes(encoder.encode(Heartbeat.ping(77).toFrame()));
      batch.writeBytes(encoder.encode(Frame.of(Command.DATA, request(2, "b"))));
      peer.write(batch.toByteArray());

      List<Frame> replies = List.of(peer.read(), peer.read(), peer.read());
      assertThat(replies).contains(Heartbeat.pong(77).toFrame());
      assertThat(replies).filteredOn(f -> f.command() == Command.DATA).extracting(f -> {
        io.mcp.codec.Envelope e = RawPeer.envelope(f);
        return e.correlationId() + ":" + StandardCharsets.UTF_8.decode(e.body());
      }).containsExactlyInAnyOrder("1:a", "2:b");
    }
  }

  static byte[] request(long id, String body) {
    return io.mcp.codec.Envelope.request(id, "echo", 0, java.util.Map.of(),
        ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8))).encode();
  }

  @Test
  void ping_answeredByPongEchoingTheOpaqueBytes() throws Exception {
    try (RawPeer peer = peer()) {
      peer.handshake(RawPeer.hello("pinger").setToken(TOKEN).build());
      peer.send(Command.HEARTBEAT, Heartbeat.ping(0xCAFEBABEDEADBEEFL).encodePayload());

      Heartbeat pong = Heartbeat.decode(peer.read());

      assertThat(pong.kind()).isEqualTo(Heartbeat.Kind.PONG);
      assertThat(pong.opaque()).isEqualTo(0xCAFEBABEDEADBEEFL);
    }
  }

  @Test
  void emptyHeartbeat_acceptedSilently() throws Exception {
    try (RawPeer peer = peer()) {
      peer.handshake(RawPeer.hello("bare").setToken(TOKEN).build());
      peer.send(Command.HEARTBEAT, new byte[0]);
      peer.request(9, "echo", new byte[] {9});

      assertThat(peer.readResponse(9)).containsExactly(9);
    }
  }

  @Test
  void maxPayload_accepted_andEchoed() throws Exception {
    try (RawPeer peer = peer()) {
      peer.handshake(RawPeer.hello("big").setToken(TOKEN).build());
      byte[] body = new byte[4 * 1024 * 1024 - (io.mcp.codec.Envelope.FIXED_BYTES + "echo".length() + 1)];
      new Random(1).nextBytes(body);
      byte[] payload = io.mcp.codec.Envelope.request(5, "echo", 0, java.util.Map.of(), ByteBuffer.wrap(body)).encode();
      assertThat(payload).hasSize(4 * 1024 * 1024); // exactly the max payload
      peer.send(Command.DATA, payload);

      assertThat(peer.readResponse(5)).isEqualTo(body);
    }
  }

  @Test
  void maxPayloadPlusOne_rejectedFromTheHeader() throws Exception {
    try (RawPeer peer = peer()) {
      peer.handshake(RawPeer.hello("too-big").setToken(TOKEN).build());
      peer.write(new byte[] {0x00, 0x40, 0x00, 0x01, 2}); // 4,194,305: header only

      Close close = peer.expectClose();

      assertThat(close.code()).isEqualTo(CloseCode.FRAME_TOO_LARGE);
      assertThat(close.reason()).isEqualTo("declared length 4194305 exceeds max 4194304");
    }
  }

  @Test
  void length0xFFFFFFFF_rejectedFromTheHeader() throws Exception {
    try (RawPeer peer = peer()) {
      peer.handshake(RawPeer.hello("huge").setToken(TOKEN).build());
      peer.write(new byte[] {-1, -1, -1, -1, 2});

      Close close = peer.expectClose();

      assertThat(close.code()).isEqualTo(CloseCode.FRAME_TOO_LARGE);
      assertThat(close.reason()).isEqualTo("declared length 4294967295 exceeds max 4194304");
    }
  }

  @Test
  void beforeHandshake_smallerLimitApplies() throws Exception {
    try (RawPeer peer = peer()) {
      peer.write(new byte[] {0x00, 0x01, 0x00, 0x01, 1}); // a 65,537-byte HANDSHAKE

      Close close = peer.expectClose();

      assertThat(close.code()).isEqualTo(CloseCode.FRAME_TOO_LARGE);
      assertThat(close.reason()).isEqualTo("declared length 65537 exceeds max 65536");
    }
  }

  @Test
  void unknownCommand_protocolError() throws Exception {
    try (RawPeer peer = peer()) {
      peer.handshake(RawPeer.hello("unknown").setToken(TOKEN).build());
      peer.write(new byte[] {0, 0, 0, 0, 0x42});

      Close close = peer.expectClose();

      assertThat(close.code()).isEqualTo(CloseCode.PROTOCOL_ERROR);
      assertThat(close.reason())
          .isEqualTo("unknown command 0x42 (allowed: 0x01..0x04 and registered extensions 0x80..0xFF)");
    }
  }

  @Test
  void unregisteredExtension_protocolError() throws Exception {
    try (RawPeer peer = peer()) {
      peer.handshake(RawPeer.hello("ext").setToken(TOKEN).build());
      peer.send(Command.extension(0x90), new byte[0]);

      // 0xFE is ExtensionCommandTest's provider, which the server loads from the test classpath.
      assertThat(peer.expectClose().reason())
          .isEqualTo("extension command 0x90 is not registered (registered: 0xFE)");
    }
  }

  @Test
  void dataBeforeHandshake_protocolError() throws Exception {
    try (RawPeer peer = peer()) {
      peer.send(Command.DATA, request(1, "early"));

      Close close = peer.expectClose();

      assertThat(close.code()).isEqualTo(CloseCode.PROTOCOL_ERROR);
      assertThat(close.reason()).isEqualTo("DATA before the handshake completed");
    }
  }

  @Test
  void heartbeatBeforeHandshake_protocolError() throws Exception {
    try (RawPeer peer = peer()) {
      peer.send(Command.HEARTBEAT, new byte[0]);

      assertThat(peer.expectClose().code()).isEqualTo(CloseCode.PROTOCOL_ERROR);
    }
  }

  @Test
  void secondHandshake_protocolError() throws Exception {
    try (RawPeer peer = peer()) {
      peer.handshake(RawPeer.hello("twice").setToken(TOKEN).build());
      peer.send(Command.HANDSHAKE, RawPeer.hello("twice").setToken(TOKEN).build().toByteArray());

      Close close = peer.expectClose();

      assertThat(close.code()).isEqualTo(CloseCode.PROTOCOL_ERROR);
      assertThat(close.reason()).isEqualTo("second HANDSHAKE on a READY session");
    }
  }

  @Test
  void malformedHello_protocolError() throws Exception {
    try (RawPeer peer = peer()) {
      peer.send(Command.HANDSHAKE, new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF});

      Close close = peer.expectClose();

      assertThat(close.code()).isEqualTo(CloseCode.PROTOCOL_ERROR);
      assertThat(close.reason()).startsWith("malformed Hello");
    }
  }

  @Test
  void emptyNodeId_protocolErrorNamingTheField() throws Exception {
    try (RawPeer peer = peer()) {
      peer.send(Command.HANDSHAKE, RawPeer.hello("").setToken(TOKEN).build().toByteArray());

      assertThat(peer.expectClose().reason()).isEqualTo("Hello.node_id is empty");
    }
  }

  @Test
  void badVersion_unsupportedVersion() throws Exception {
    try (RawPeer peer = peer()) {
      peer.send(Command.HANDSHAKE, RawPeer.hello("v2").setProtocolVersion(2).setToken(TOKEN).build().toByteArray());

      Close close = peer.expectClose();

      assertThat(close.code()).isEqualTo(CloseCode.UNSUPPORTED_VERSION);
      assertThat(close.reason()).isEqualTo("protocol version 2 not supported (supported: 1)");
    }
  }

  @Test
  void badToken_unauthenticated_reasonDoesNotContainTheToken() throws Exception {
    try (RawPeer peer = peer()) {
      peer.send(Command.HANDSHAKE, RawPeer.hello("intruder").setToken("guess-123").build().toByteArray());

      Close close = peer.expectClose();

      assertThat(close.code()).isEqualTo(CloseCode.UNAUTHENTICATED);
      assertThat(close.reason()).isEqualTo("invalid token").doesNotContain("guess-123");
    }
  }

  @Test
  void badToken_clientConnectFailsWithUnauthenticated() {
    try (McpClient client = McpClient.create(ClientOptions.builder("intruder").token("wrong").build())) {
      assertThatThrownBy(() -> client.connect(address()).get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(McpException.class)
          .hasMessageContaining("invalid token")
          .extracting(e -> ((McpException) e).closeCode())
          .isEqualTo(CloseCode.UNAUTHENTICATED);
    }
  }

  @Test
  void handshakeTimeout_closedWithHandshakeTimeout() throws Exception {
    server.shutdown(Duration.ofSeconds(1)).get(5, TimeUnit.SECONDS);
    server = start(ServerOptions.builder().handshakeTimeout(Duration.ofMillis(300)));
    try (RawPeer peer = peer()) {
      Close close = peer.expectClose(); // says nothing

      assertThat(close.code()).isEqualTo(CloseCode.HANDSHAKE_TIMEOUT);
      assertThat(close.reason()).isEqualTo("no Hello within 300 ms");
    }
  }

  @Test
  void truncatedFrameThenStall_closedByHandshakeTimeout() throws Exception {
    server.shutdown(Duration.ofSeconds(1)).get(5, TimeUnit.SECONDS);
    server = start(ServerOptions.builder().handshakeTimeout(Duration.ofMillis(300)));
    try (RawPeer peer = peer()) {
      peer.write(new byte[] {0, 0, 0, 50, 1, 1, 2, 3}); // header of 50 bytes, 3 sent

      assertThat(peer.expectClose().code()).isEqualTo(CloseCode.HANDSHAKE_TIMEOUT);
    }
  }

  @Test
  void idleReadyPeer_closedWithIdleTimeout() throws Exception {
    server.shutdown(Duration.ofSeconds(1)).get(5, TimeUnit.SECONDS);
    server = start(ServerOptions.builder().idleTimeout(Duration.ofMillis(300)));
    try (RawPeer peer = peer()) {
      peer.handshake(RawPeer.hello("silent").setToken(TOKEN).build());

      Close close = peer.expectClose(); // the server's pings are not answered and nothing is sent

      assertThat(close.code()).isEqualTo(CloseCode.IDLE_TIMEOUT);
      assertThat(close.reason()).contains("idle timeout 300 ms");
    }
  }

  @Test
  void pingFlood_tooManyPings() throws Exception {
    try (RawPeer peer = peer()) {
      peer.handshake(RawPeer.hello("flood").setToken(TOKEN).build());
      java.io.ByteArrayOutputStream flood = new java.io.ByteArrayOutputStream();
      for (int i = 0; i < 50; i++) {
        flood.writeBytes(io.mcp.codec.FrameEncoder.create().encode(Heartbeat.bare().toFrame()));
      }
      peer.write(flood.toByteArray());

      Close close = peer.expectClose();

      assertThat(close.code()).isEqualTo(CloseCode.TOO_MANY_PINGS);
      assertThat(close.reason()).isEqualTo("11 pings within one heartbeat interval of 5000 ms exceed max 10");
    }
  }

  @Test
  void garbage64KiB_closedWithAnErrorCode() throws Exception {
    try (RawPeer peer = peer()) {
      byte[] garbage = new byte[64 * 1024];
      new Random(7).nextBytes(garbage);
      garbage[4] = 9; // an unknown command in the first header
      peer.write(garbage);

      Close close = peer.expectClose();

      assertThat(close.code()).isIn(CloseCode.PROTOCOL_ERROR, CloseCode.FRAME_TOO_LARGE);
    }
    assertThat(serverCloses.poll(10, TimeUnit.SECONDS).initiator()).isEqualTo(SessionClose.Initiator.LOCAL);
  }

  @Test
  void httpRequestToTheMcpPort_closedWithAnErrorCode() throws Exception {
    try (RawPeer peer = peer()) {
      peer.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

      assertThat(peer.expectClose().code()).isIn(CloseCode.PROTOCOL_ERROR, CloseCode.FRAME_TOO_LARGE);
    }
  }

  @Test
  void resetMidFrame_serverSessionClosedByTransport() throws Exception {
    RawPeer peer = peer();
    peer.handshake(RawPeer.hello("reset").setToken(TOKEN).build());
    peer.write(new byte[] {0, 0, 1, 0, 2, 1, 2, 3}); // 256-byte DATA, 3 bytes sent
    peer.socket.setSoLinger(true, 0);
    peer.close(); // RST

    SessionClose close = serverCloses.poll(10, TimeUnit.SECONDS);

    assertThat(close.initiator()).isEqualTo(SessionClose.Initiator.TRANSPORT);
  }

  @Test
  void peerCloseFrame_reportedAsRemoteClose() throws Exception {
    try (RawPeer peer = peer()) {
      peer.handshake(RawPeer.hello("leaver").setToken(TOKEN).build());
      peer.send(Command.CLOSE, Close.of(CloseCode.application(4001), "bye").encodePayload());

      peer.expectEof();
      SessionClose close = serverCloses.poll(10, TimeUnit.SECONDS);

      assertThat(close).isEqualTo(SessionClose.remote(CloseCode.application(4001), "bye"));
    }
  }

  /**
   * The server stops reading, the peer writes part of a 1 MiB DATA frame (more than its 16 KiB send
   * buffer holds, so some of it waits unread in the server's receive buffer), then the server closes.
   * A bare close with unread input would answer with RST; the graceful close sends CLOSE and FIN and
   * drains, so the peer reads the CLOSE, then a clean EOF, and can finish writing.
   */
  @Test
  void serverClosesWithUnreadDataInFlight_peerStillReadsTheClose() throws Exception {
    server.shutdown(Duration.ofSeconds(1)).get(5, TimeUnit.SECONDS);
    server = start(ServerOptions.builder().closeDrainTimeout(Duration.ofSeconds(20)));
    try (RawPeer peer = peer()) {
      peer.handshake(RawPeer.hello("busy").setToken(TOKEN).build());
      NettySession session = (NettySession) serverReady.poll(10, TimeUnit.SECONDS);
      Channel channel = session.channel();
      channel.eventLoop().submit(() -> channel.config().setAutoRead(false)).get(10, TimeUnit.SECONDS);
      peer.socket.setSendBufferSize(8 * 1024); // Linux doubles it: 16 KiB
      byte[] frame = FrameEncoder.create().encode(Frame.of(Command.DATA, Envelope.oneWay("bulk",
          java.util.Map.of(), ByteBuffer.allocate(1024 * 1024 - 64)).encode()));
      AtomicLong written = new AtomicLong();
      CompletableFuture<Void> writer = new CompletableFuture<>();
      Thread writerThread = new Thread(() -> {
        try {
          for (int from = 0; from < frame.length; from += 16 * 1024) {
            peer.write(java.util.Arrays.copyOfRange(frame, from, Math.min(frame.length, from + 16 * 1024)));
            written.addAndGet(Math.min(16 * 1024, frame.length - from));
          }
          writer.complete(null);
        } catch (IOException | RuntimeException e) {
          writer.completeExceptionally(e);
        }
      }, "busy-peer-writer");
      writerThread.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (written.get() < 64 * 1024 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(written.get()).as("bytes written while the server did not read").isGreaterThanOrEqualTo(64 * 1024);

      channel.eventLoop().submit(() -> {
        channel.config().setAutoRead(true); // reads resume after this task: the close sees unread input
        session.close(CloseCode.GOING_AWAY, "maintenance");
      }).get(10, TimeUnit.SECONDS);
      Close close = peer.expectClose(); // CLOSE, then EOF: a reset fails here

      assertThat(close).isEqualTo(Close.of(CloseCode.GOING_AWAY, "maintenance"));
      writer.get(10, TimeUnit.SECONDS); // the server drained the whole frame instead of resetting
      assertThat(written.get()).isEqualTo(frame.length);
    }
    assertThat(serverCloses.poll(10, TimeUnit.SECONDS)).isEqualTo(SessionClose.local(CloseCode.GOING_AWAY, "maintenance"));
  }

  @Test
  void connectionLimit_excessConnectionGetsOverloaded() throws Exception {
    server.shutdown(Duration.ofSeconds(1)).get(5, TimeUnit.SECONDS);
    server = start(ServerOptions.builder().maxConnections(2));
    try (RawPeer first = peer(); RawPeer second = peer()) {
      first.handshake(RawPeer.hello("a").setToken(TOKEN).build());
      second.handshake(RawPeer.hello("b").setToken(TOKEN).build());
      try (RawPeer third = peer()) {
        Close close = third.expectClose();

        assertThat(close.code()).isEqualTo(CloseCode.OVERLOADED);
        assertThat(close.reason()).isEqualTo("connection limit 2 reached");
      }
    }
    // The after-each health check needs a free slot: wait until the server counted the closes.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (server.connectionCount() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  @Test
  void pendingHandshakeLimit_excessGetsOverloaded_andAFinishedHandshakeFreesASlot() throws Exception {
    server.shutdown(Duration.ofSeconds(1)).get(5, TimeUnit.SECONDS);
    server = start(ServerOptions.builder().maxPendingHandshakes(2));
    try (RawPeer first = peer(); RawPeer second = peer()) {
      try (RawPeer third = peer()) {
        Close close = third.expectClose();

        assertThat(close.code()).isEqualTo(CloseCode.OVERLOADED);
        assertThat(close.reason()).isEqualTo("pending handshake limit 2 reached");
      }
      first.handshake(RawPeer.hello("a").setToken(TOKEN).build());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (server.pendingHandshakeCount() > 1 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      try (RawPeer fourth = peer()) {
        fourth.handshake(RawPeer.hello("d").setToken(TOKEN).build());
      }
    }
  }

  /**
   * The server fills its whole 8 MiB outbound budget while the peer reads nothing, then the peer
   * pings: the pong must come after about one high water mark (1 MiB) of application data, not
   * after the budget. Kernel buffers are pinned small on both ends so they cannot hide the
   * difference; the bound is in bytes read, not in time.
   */
  @Test
  void bulkTransfer_doesNotStarveHeartbeats() throws Exception {
    int chunkBytes = 64 * 1024;
    try (RawPeer peer = new RawPeer(address(), 64 * 1024)) {
      peer.handshake(RawPeer.hello("bulk").setToken(TOKEN).build());
      NettySession serverSide = (NettySession) serverReady.poll(10, TimeUnit.SECONDS);
      serverSide.channel().config().setOption(ChannelOption.SO_SNDBUF, 64 * 1024);
      List<CompletableFuture<Void>> sends = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        CompletableFuture<Void> sent = serverSide.send("bulk", ByteBuffer.allocate(chunkBytes).putInt(0, i));
        if (sent.isCompletedExceptionally()) {
          assertThat(sent.handle((ok, e) -> ((RequestException) e).errorCode()).join()).isEqualTo(ErrorCode.OVERLOADED);
          break;
        }
        sends.add(sent);
      }
      assertThat((long) sends.size() * chunkBytes).as("bytes accepted into the budget").isGreaterThan(6L << 20);
      serverSide.channel().eventLoop().submit(() -> { }).get(10, TimeUnit.SECONDS); // every send reached the loop

      peer.send(Command.HEARTBEAT, Heartbeat.ping(7).encodePayload());
      long dataBytesBeforePong = 0;
      int received = 0;
      for (Frame frame = peer.read(); !frame.equals(Heartbeat.pong(7).toFrame()); frame = peer.read()) {
        if (frame.command() == Command.DATA) {
          assertThat(RawPeer.envelope(frame).body().getInt(0)).isEqualTo(received++);
          dataBytesBeforePong += FrameEncoder.HEADER_BYTES + frame.payloadLength();
        }
      }
      while (received < sends.size()) {
        Frame frame = peer.read();
        if (frame.command() == Command.DATA) {
          assertThat(RawPeer.envelope(frame).body().getInt(0)).isEqualTo(received++);
        }
      }

      assertThat(dataBytesBeforePong).as("application bytes the pong waited behind").isLessThan(3L << 20);
      for (CompletableFuture<Void> sent : sends) {
        sent.get(10, TimeUnit.SECONDS);
      }
      assertThat(serverSide.state()).isEqualTo(SessionState.READY);
    }
  }

  @Test
  void gracefulShutdown_everySessionGetsGoingAway() throws Exception {
    List<RawPeer> peers = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      RawPeer peer = peer();
      peer.handshake(RawPeer.hello("node-" + i).setToken(TOKEN).build());
      peers.add(peer);
    }
    McpServer old = server;
    CompletableFuture<Void> done = old.shutdown(Duration.ofSeconds(5));
    for (RawPeer peer : peers) {
      assertThat(peer.expectClose().code()).isEqualTo(CloseCode.GOING_AWAY);
      peer.close();
    }
    done.get(10, TimeUnit.SECONDS);
    server = start(ServerOptions.builder()); // for the after-each health check
  }

  @Test
  void thousandConcurrentHandshakes_allReady() throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    try (McpClient client = McpClient.create(ClientOptions.builder("many").serviceName("svc").token(TOKEN)
        .eventLoopGroup(group).build())) {
      List<CompletableFuture<Session>> sessions = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        sessions.add(client.connect(address()));
      }
      CompletableFuture.allOf(sessions.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);

      assertThat(sessions).allSatisfy(s -> assertThat(s.join().state()).isEqualTo(SessionState.READY));
      assertThat(server.sessions()).hasSize(1000);
      for (CompletableFuture<Session> s : sessions) {
        s.join().close();
      }
      for (CompletableFuture<Session> s : sessions) {
        s.join().closeFuture().get(30, TimeUnit.SECONDS);
      }
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @Test
  void clientSession_measuresRttFromPings() throws Exception {
    server.shutdown(Duration.ofSeconds(1)).get(5, TimeUnit.SECONDS);
    server = start(ServerOptions.builder().heartbeatBounds(Duration.ofMillis(50), Duration.ofSeconds(60)));
    try (McpClient client = McpClient.create(ClientOptions.builder("rtt").token(TOKEN)
        .heartbeatInterval(Duration.ofMillis(50)).build())) {
      Session session = client.connect(address()).get(10, TimeUnit.SECONDS);
      Session serverSide = serverReady.poll(10, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while ((session.lastRtt().isEmpty() || serverSide.lastRtt().isEmpty()) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }

      assertThat(session.lastRtt()).isPresent();
      assertThat(serverSide.lastRtt()).isPresent();
      assertThat(session.state()).isEqualTo(SessionState.READY);
    }
  }
}
