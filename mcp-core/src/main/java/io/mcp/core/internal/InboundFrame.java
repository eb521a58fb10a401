package io.mcp.core.internal;

import io.mcp.codec.Command;
import io.netty.buffer.ByteBuf;

/** A decoded frame whose payload is a retained slice of the inbound buffer; release it once. */
final class InboundFrame {
  final Command command;
  final ByteBuf payload;

  InboundFrame(Command command, ByteBuf payload) {
    this.command = command;
    this.payload = payload;
  }

  void release() {
    payload.release();
  }

  @Override
  public String toString() {
    return "InboundFrame{" + command + ", " + payload.readableBytes() + " bytes}";
  }
}
