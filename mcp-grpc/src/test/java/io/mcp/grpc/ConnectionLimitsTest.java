package io.mcp.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.ServerOptions;
import io.mcp.grpc.proto.ListNodesRequest;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2ChannelDuplexHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.util.ReferenceCountUtil;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.netty.buffer.Unpooled;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP/2 connection limits of the gRPC server, driven by a raw HTTP/2 client over loopback:
 * keepalive enforcement, the rapid-reset guard and maximum connection age each end the offending
 * connection with a GOAWAY naming the reason, while a well-behaved client keeps working. Also the
 * handshake timeout (a silent socket is closed), the grace after maximum age (calls in flight
 * finish within it, not after), and the header list limit against a client that ignores it.
 */
class ConnectionLimitsTest {
  private Controller controller;
  private GrpcControlPlaneServer grpc;
  private EventLoopGroup group;

  @BeforeEach
  void startController() {
    controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(GrpcControlPlaneTest.AUTH).build(), new InMemoryConfigStore()).build()).start();
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  @AfterEach
  void stop() throws Exception {
    if (grpc != null) {
      grpc.shutdown(Duration.ofSeconds(2));
    }
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  private void startGrpc(Consumer<GrpcServerOptions.Builder> limits) {
    GrpcServerOptions.Builder options = GrpcServerOptions.builder().host("127.0.0.1");
    limits.accept(options);
    grpc = GrpcControlPlaneServer.create(controller, options.build()).start();
  }

  /** A raw HTTP/2 client: completes {@code goAway} with "error code / debug data" when the server sends GOAWAY. */
  private static final class RawClient extends Http2ChannelDuplexHandler {
    final CompletableFuture<String> goAway = new CompletableFuture<>();
    /** What the server sent on streams: "status 200", "grpc-status 0" (trailers), "reset CANCEL". */
    final LinkedBlockingQueue<String> streamEvents = new LinkedBlockingQueue<>();
    volatile CompletableFuture<Long> pingAck = new CompletableFuture<>();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2PingFrame ping && ping.ack()) {
          pingAck.complete(ping.content());
        } else if (msg instanceof Http2HeadersFrame frame) {
          Http2Headers h = frame.headers();
          streamEvents.add(h.status() != null ? "status " + h.status() : "grpc-status " + h.get("grpc-status"));
        } else if (msg instanceof Http2ResetFrame frame) {
          streamEvents.add("reset " + Http2Error.valueOf(frame.errorCode()));
        } else if (msg instanceof Http2GoAwayFrame frame) {
          goAway.complete(Http2Error.valueOf(frame.errorCode()) + " / " + frame.content().toString(StandardCharsets.UTF_8));
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      goAway.complete("closed without GOAWAY");
    }

    Http2FrameStream stream() {
      return newStream();
    }

    /**
     * Sends {@code frames} and a PING in one flush, then waits for the PING's ack or a GOAWAY. One
     * flush keeps the server from closing with unread bytes (which would reset, not close, the
     * connection and could discard the GOAWAY); waiting keeps the loop one step ahead at most.
     */
    void sendAndSync(Channel channel, long id, Object... frames) throws Exception {
      pingAck = new CompletableFuture<>();
      for (Object frame : frames) {
        channel.write(frame);
      }
      channel.writeAndFlush(new DefaultHttp2PingFrame(id));
      CompletableFuture.anyOf(pingAck, goAway).get(10, TimeUnit.SECONDS);
    }
  }

  private Channel connect(RawClient client) throws InterruptedException {
    return new Bootstrap().group(group).channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(), client);
          }
        })
        .connect("127.0.0.1", grpc.port()).sync().channel();
  }

  private void assertWellBehavedClientStillServed() {
    try (ControlPlaneClient ok = ControlPlaneClient.create("127.0.0.1", grpc.port(), "admin-token", null,
        Duration.ofSeconds(10))) {
      assertThat(ok.blocking().listNodes(ListNodesRequest.getDefaultInstance()).getNodesCount()).isZero();
    }
  }

  @Test
  void pingFlood_getsGoAwayTooManyPings() throws Exception {
    startGrpc(o -> o.permitKeepAliveTime(Duration.ofMinutes(5)));
    RawClient client = new RawClient();
    Channel channel = connect(client);
    for (int i = 0; i < 10 && !client.goAway.isDone(); i++) {
      client.sendAndSync(channel, i);
    }
    assertThat(client.goAway.get(10, TimeUnit.SECONDS)).isEqualTo("ENHANCE_YOUR_CALM / too_many_pings");
    assertThat(channel.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
    assertWellBehavedClientStillServed();
  }

  @Test
  void rapidReset_getsGoAwayTooManyResets() throws Exception {
    startGrpc(o -> o.maxRstFramesPerWindow(20, Duration.ofSeconds(60)));
    RawClient client = new RawClient();
    Channel channel = connect(client);
    Http2Headers headers = new DefaultHttp2Headers()
        .method("POST").scheme("http").authority("127.0.0.1:" + grpc.port())
        .path("/mcp.controlplane.v1.ControlPlane/ListNodes")
        .set("content-type", "application/grpc").set("te", "trailers");
    // 30 open-then-cancel pairs in one flush (under 1 KiB, read by the server in one go): no PINGs
    // here, since pings without calls count against keepalive enforcement.
    for (int i = 0; i < 30; i++) {
      Http2FrameStream stream = client.stream();
      channel.write(new DefaultHttp2HeadersFrame(headers, false).stream(stream));
      channel.write(new DefaultHttp2ResetFrame(Http2Error.CANCEL).stream(stream));
    }
    channel.flush();
    assertThat(client.goAway.get(10, TimeUnit.SECONDS)).isEqualTo("ENHANCE_YOUR_CALM / too_many_rststreams");
    assertThat(channel.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
    assertWellBehavedClientStillServed();
  }

  @Test
  void connectionOlderThanMaxAge_isSentGoAwayAndClosed() throws Exception {
    // grpc-java's minimum age is 1 s; a GOAWAY must arrive within a few seconds, not the default 2 h.
    startGrpc(o -> o.maxConnectionAge(Duration.ofMinutes(30), Duration.ofSeconds(1), Duration.ZERO));
    RawClient client = new RawClient();
    Channel channel = connect(client);
    assertThat(client.goAway.get(20, TimeUnit.SECONDS)).startsWith("NO_ERROR");
    assertThat(channel.closeFuture().await(20, TimeUnit.SECONDS)).isTrue();
    assertWellBehavedClientStillServed();
  }

  @Test
  void idleConnection_isSentGoAwayAfterMaxIdle() throws Exception {
    startGrpc(o -> o.maxConnectionAge(Duration.ofSeconds(1), Duration.ofHours(2), Duration.ofMinutes(1)));
    RawClient client = new RawClient();
    Channel channel = connect(client);
    assertThat(client.goAway.get(20, TimeUnit.SECONDS)).startsWith("NO_ERROR");
    assertThat(channel.closeFuture().await(20, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void silentConnection_closedAfterTheHandshakeTimeout() throws Exception {
    startGrpc(o -> o.handshakeTimeout(Duration.ofSeconds(1)));
    try (Socket socket = new Socket("127.0.0.1", grpc.port())) {
      // Under the 10 s default: the read ends by the configured 1 s timeout, or the test fails.
      socket.setSoTimeout(8_000);
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[4096];
      int read = 0;
      try {
        // The server may send its SETTINGS before the client's preface; read until the close.
        for (int reads = 0; read >= 0 && reads < 100; reads++) {
          read = in.read(buffer);
        }
      } catch (SocketException reset) {
        read = -1; // closed with unread bytes: a reset is a close too
      }
      assertThat(read).as("the server closed the connection").isEqualTo(-1);
    }
    assertWellBehavedClientStillServed();
  }

  /** The headers of a ListNodes call by the admin. */
  private Http2Headers listNodesHeaders() {
    return new DefaultHttp2Headers()
        .method("POST").scheme("http").authority("127.0.0.1:" + grpc.port())
        .path("/mcp.controlplane.v1.ControlPlane/ListNodes")
        .set("content-type", "application/grpc").set("te", "trailers")
        .set("authorization", "Bearer admin-token");
  }

  /** Opens a ListNodes call on {@code channel}: headers, then one empty gRPC message ending the request. */
  private static void sendListNodes(RawClient client, Channel channel, Http2Headers headers) {
    Http2FrameStream stream = client.stream();
    channel.write(new DefaultHttp2HeadersFrame(headers, false).stream(stream));
    byte[] emptyMessage = {0, 0, 0, 0, 0}; // uncompressed, length 0
    channel.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(emptyMessage), true).stream(stream));
  }

  /** Holds ListNodes calls before the service until released (bounded), counting those that entered. */
  private static final class Gate implements ServerInterceptor {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
        @Override
        public void onHalfClose() {
          entered.countDown();
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          super.onHalfClose();
        }
      };
    }
  }

  @Test
  void callInFlightAtMaxAge_completesWithinTheGrace() throws Exception {
    Gate gate = new Gate();
    startGrpc(o -> o.maxConnectionAge(Duration.ofMinutes(30), Duration.ofSeconds(1), Duration.ofSeconds(30))
        .addInterceptor(gate));
    RawClient client = new RawClient();
    Channel channel = connect(client);
    try {
      sendListNodes(client, channel, listNodesHeaders());
      assertThat(gate.entered.await(10, TimeUnit.SECONDS)).as("the call reached the server").isTrue();
      assertThat(client.goAway.get(20, TimeUnit.SECONDS)).startsWith("NO_ERROR");

      gate.release.countDown();

      assertThat(client.streamEvents.poll(10, TimeUnit.SECONDS)).isEqualTo("status 200");
      assertThat(client.streamEvents.poll(10, TimeUnit.SECONDS)).as("trailers").isEqualTo("grpc-status 0");
      // With nothing in flight the server closes the connection, well before the 30 s grace.
      assertThat(channel.closeFuture().await(20, TimeUnit.SECONDS)).isTrue();
    } finally {
      gate.release.countDown();
    }
  }

  @Test
  void callStillRunningWhenTheGraceEnds_isCutOff() throws Exception {
    Gate gate = new Gate();
    startGrpc(o -> o.maxConnectionAge(Duration.ofMinutes(30), Duration.ofSeconds(1), Duration.ofSeconds(1))
        .addInterceptor(gate));
    RawClient client = new RawClient();
    Channel channel = connect(client);
    try {
      sendListNodes(client, channel, listNodesHeaders());
      assertThat(gate.entered.await(10, TimeUnit.SECONDS)).as("the call reached the server").isTrue();
      assertThat(client.goAway.get(20, TimeUnit.SECONDS)).startsWith("NO_ERROR");

      assertThat(channel.closeFuture().await(20, TimeUnit.SECONDS)).as("closed when the grace ended").isTrue();
      assertThat(client.streamEvents).as("the call never answered").doesNotContain("grpc-status 0");
    } finally {
      gate.release.countDown();
    }
    assertWellBehavedClientStillServed();
  }

  @Test
  void clientIgnoringTheHeaderListSetting_refusedByTheServer_andTheConnectionKeepsServing() throws Exception {
    startGrpc(o -> o.maxInboundMetadataBytes(4 * 1024));
    RawClient client = new RawClient();
    Http2Headers big = listNodesHeaders().set("x-padding", "x".repeat(5 * 1024));
    // Written as the connection opens, before the server's SETTINGS (and so its header list
    // limit) are read: this client does not know the limit, as a non-grpc-java client may not.
    Channel channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(), client);
          }
        })
        .connect("127.0.0.1", grpc.port())
        .addListener((io.netty.channel.ChannelFutureListener) f -> sendListNodes(client, f.channel(), big))
        .sync().channel();

    String refused = client.streamEvents.poll(10, TimeUnit.SECONDS);
    assertThat(refused).isEqualTo("status 431");
    sendListNodes(client, channel, listNodesHeaders());
    assertThat(client.streamEvents.poll(10, TimeUnit.SECONDS)).isEqualTo("status 200");
    channel.close().sync();
  }
}
