package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.auth.Authenticators;
import io.mcp.core.internal.NettySession;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One update is encoded once, whatever the number of fan-out batches: the frames written to
 * sessions of different batches are views of one buffer, from the channels' allocator.
 */
class FanoutEncodeOnceTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final String MARKER = "encode-once-marker-7f3a";

  final List<Agent> agents = new ArrayList<>();
  /** The UPDATE frames as they reached the head of each session's pipeline, retained. */
  final List<ByteBuf> written = new CopyOnWriteArrayList<>();
  final List<ByteBufAllocator> channelAllocators = new CopyOnWriteArrayList<>();
  Controller controller;

  @AfterEach
  void stop() throws Exception {
    written.forEach(ByteBuf::release);
    for (Agent agent : agents) {
      agent.close();
    }
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
  }

  /** Next to the head of the pipeline: sees every frame exactly as the socket gets it. */
  final class Capture extends ChannelOutboundHandlerAdapter {
    final ByteBuf marker = Unpooled.copiedBuffer(MARKER, StandardCharsets.UTF_8);

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof ByteBuf frame && ByteBufUtil.indexOf(marker, frame) >= 0) {
        written.add(frame.retain()); // kept alive: its memory cannot be reused for another frame
        channelAllocators.add(ctx.channel().alloc());
      }
      ctx.write(msg, promise);
    }
  }

  @Test
  void threeSessionsInThreeBatches_oneEncodedFrame_fromTheChannelsAllocator() throws Exception {
    controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(Authenticators.staticToken("agent-token")).build(), new InMemoryConfigStore())
        .fanoutBatchSize(1).build()).start();
    for (int i = 0; i < 3; i++) {
      agents.add(Agent.create(AgentOptions.builder("node-" + i).services("svc").token("agent-token")
          .endpoint(new InetSocketAddress("127.0.0.1", controller.port()))
          .configListener((service, version, config) -> { }).build()).start());
    }
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (controller.sessionsByNode().size() < 3 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    Map<String, Session> sessions = controller.sessionsByNode();
    assertThat(sessions).hasSize(3);
    for (Session session : sessions.values()) {
      ((NettySession) session).channel().pipeline().addFirst("capture", new Capture());
    }

    long version = controller.apply("svc", MARKER.getBytes(StandardCharsets.UTF_8));
    assertThat(controller.awaitRollout("svc", version, RolloutCondition.all(), WAIT).satisfied()).isTrue();

    assertThat(written).hasSize(3);
    ByteBuf encoded = root(written.get(0));
    assertThat(written).allSatisfy(frame -> {
      assertThat(frame.unwrap()).as("a view of a shared frame, not a frame of its own").isNotNull();
      assertThat(root(frame)).isSameAs(encoded);
    });
    assertThat(channelAllocators).allSatisfy(alloc -> assertThat(encoded.alloc()).isSameAs(alloc));
  }

  /** The buffer under every view and leak-detection wrapper. */
  static ByteBuf root(ByteBuf buf) {
    for (int depth = 0; depth < 16 && buf.unwrap() != null; depth++) {
      buf = buf.unwrap();
    }
    return buf;
  }
}
