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
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP/2 connection limits of the gRPC server, driven by a raw HTTP/2 client over loopback:
 * keepalive enforcement, the rapid-reset guard and maximum connection age each end the offending
 * connection with a GOAWAY naming the reason, while a well-behaved client keeps working.
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
    volatile CompletableFuture<Long> pingAck = new CompletableFuture<>();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2PingFrame ping && ping.ack()) {
          pingAck.complete(ping.content());
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
}
