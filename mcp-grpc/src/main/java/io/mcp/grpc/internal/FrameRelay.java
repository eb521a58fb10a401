package io.mcp.grpc.internal;

import com.google.protobuf.ByteString;
import io.grpc.stub.CallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.mcp.codec.FrameEncoder;
import io.mcp.grpc.proto.Frame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays one gRPC stream of {@link Frame} messages to and from a Netty channel that carries the
 * MCP/1 byte stream (an in-VM channel to an MCP server, or from an MCP client).
 *
 * <ul>
 *   <li>Netty to gRPC: the bytes are split into whole frames (the 5-byte header gives the length),
 *       one gRPC message each. While the gRPC call is not ready the channel stops reading, so the
 *       MCP side's own backpressure (budget, water marks, SLOW_CONSUMER) takes over.
 *   <li>gRPC to Netty: one message is requested at a time and the next only once the channel is
 *       writable again; a message is written as it came (it holds whole frames).
 *   <li>Either side ending ends the other: the MCP session sees a transport close, the gRPC call
 *       completes.
 * </ul>
 */
public final class FrameRelay {
  private static final Logger log = LoggerFactory.getLogger(FrameRelay.class);

  private final CallStreamObserver<Frame> toGrpc;
  private final ByteOrder order;
  private final AtomicBoolean finished = new AtomicBoolean();
  private volatile Channel channel;

  /**
   * @param toGrpc the outbound side of the call; inbound flow control must already be manual
   *     ({@code disableAutoInboundFlowControl} before the call starts)
   */
  public FrameRelay(CallStreamObserver<Frame> toGrpc, ByteOrder order) {
    this.toGrpc = toGrpc;
    this.order = order;
    toGrpc.setOnReadyHandler(() -> {
      Channel ch = channel;
      if (ch != null && toGrpc.isReady()) {
        ch.config().setAutoRead(true);
      }
    });
  }

  /** Connects the relay to {@code ch}: installs the frame splitter and starts the flow. */
  public void attach(Channel ch) {
    this.channel = ch;
    ch.pipeline().addLast("mcp-frame-splitter", new Splitter());
    ch.pipeline().addLast("mcp-grpc-relay", new ToGrpc());
    toGrpc.request(1);
  }

  /** The observer for messages arriving from gRPC. */
  public StreamObserver<Frame> fromGrpc() {
    return new StreamObserver<>() {
      @Override
      public void onNext(Frame frame) {
        Channel ch = channel;
        if (ch == null || !ch.isActive()) {
          return;
        }
        ch.writeAndFlush(Unpooled.wrappedBuffer(frame.getData().asReadOnlyByteBuffer())).addListener(f -> {
          if (ch.isWritable()) {
            toGrpc.request(1);
          }
        });
      }

      @Override
      public void onError(Throwable t) {
        log.debug("gRPC stream failed: {}", t.toString());
        close();
      }

      @Override
      public void onCompleted() {
        close();
      }
    };
  }

  private void close() {
    Channel ch = channel;
    if (ch != null) {
      ch.close();
    }
  }

  private void finish() {
    if (finished.compareAndSet(false, true)) {
      try {
        toGrpc.onCompleted();
      } catch (RuntimeException e) {
        log.debug("completing the gRPC stream failed: {}", e.toString());
      }
    }
  }

  /** Cuts the MCP/1 byte stream into whole frames. */
  private final class Splitter extends ByteToMessageDecoder {
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      while (in.readableBytes() >= FrameEncoder.HEADER_BYTES) {
        int index = in.readerIndex();
        long length = order == ByteOrder.BIG_ENDIAN ? in.getUnsignedInt(index) : in.getUnsignedIntLE(index);
        long total = FrameEncoder.HEADER_BYTES + length;
        if (in.readableBytes() < total) {
          return;
        }
        byte[] frame = new byte[(int) total];
        in.readBytes(frame);
        out.add(ByteString.copyFrom(frame));
      }
    }
  }

  private final class ToGrpc extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (finished.get()) {
        return;
      }
      toGrpc.onNext(Frame.newBuilder().setData((ByteString) msg).build());
      if (!toGrpc.isReady()) {
        ctx.channel().config().setAutoRead(false); // resumed by the onReady handler
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable()) {
        toGrpc.request(1);
      }
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      finish();
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("relay channel failed: {}", cause.toString());
      ctx.close();
    }
  }
}
