package io.mcp.grpc.gateway;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Sits before the HTTP decoder and tells {@link GatewayHandler} that bytes arrived, so the request
 * timeout starts with a request's first byte (a client that trickles its headers is caught too).
 */
final class ByteWatcher extends ChannelInboundHandlerAdapter {
  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ctx.pipeline().fireUserEventTriggered(GatewayHandler.BYTES_ARRIVED);
    ctx.fireChannelRead(msg);
  }
}
