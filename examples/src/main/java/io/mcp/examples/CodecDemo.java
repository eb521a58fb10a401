package io.mcp.examples;

import io.mcp.codec.Close;
import io.mcp.codec.CloseCode;
import io.mcp.codec.Command;
import io.mcp.codec.Frame;
import io.mcp.codec.FrameDecoder;
import io.mcp.codec.FrameEncoder;
import io.mcp.codec.Heartbeat;
import io.mcp.codec.McpException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Shows the MCP/1 frame layer at work: frames encoded to bytes, the bytes fed back one at a time
 * and in one chunk, and what the decoder does with a frame that declares too large a payload.
 */
final class CodecDemo {
  private CodecDemo() {}

  static int run(PrintStream out) {
    FrameEncoder encoder = FrameEncoder.create();
    List<Frame> frames = List.of(
        Frame.of(Command.DATA, "hello, fleet".getBytes(StandardCharsets.UTF_8)),
        Heartbeat.ping(0x0102030405060708L).toFrame(),
        Heartbeat.bare().toFrame(),
        Close.of(CloseCode.GOING_AWAY, "restarting").toFrame());

    out.println("MCP/1 codec demo: frame = length:u32 (big-endian) cmd:u8 payload");
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    HexFormat hex = HexFormat.ofDelimiter(" ");
    for (Frame frame : frames) {
      byte[] bytes = encoder.encode(frame);
      stream.writeBytes(bytes);
      out.printf("  encode %-26s -> %s%n", frame, hex.formatHex(bytes));
    }
    byte[] wire = stream.toByteArray();

    List<Frame> oneChunk = FrameDecoder.create().decode(ByteBuffer.wrap(wire));
    FrameDecoder byteByByte = FrameDecoder.create();
    List<Frame> trickled = new ArrayList<>();
    for (byte b : wire) {
      byteByByte.decode(ByteBuffer.wrap(new byte[] {b}), trickled::add);
    }
    out.printf("decoded %d frames from one %d-byte chunk, %d frames fed one byte at a time: %s%n",
        oneChunk.size(), wire.length, trickled.size(),
        oneChunk.equals(frames) && trickled.equals(frames) ? "identical to what was sent" : "MISMATCH");
    for (Frame frame : oneChunk) {
      out.println("  " + describe(frame));
    }

    byte[] oversized = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 2};
    try {
      FrameDecoder.create().decode(ByteBuffer.wrap(oversized));
      out.println("oversized header accepted: BUG");
      return 1;
    } catch (McpException e) {
      out.println("header " + hex.formatHex(oversized) + " rejected before any allocation: "
          + e.closeCode() + " \"" + e.getMessage() + "\"");
    }
    return oneChunk.equals(frames) && trickled.equals(frames) ? 0 : 1;
  }

  private static String describe(Frame frame) {
    if (frame.command() == Command.DATA) {
      return "DATA \"" + new String(frame.payloadBytes(), StandardCharsets.UTF_8) + "\"";
    }
    if (frame.command() == Command.HEARTBEAT) {
      return "HEARTBEAT " + Heartbeat.decode(frame);
    }
    if (frame.command() == Command.CLOSE) {
      return "CLOSE " + Close.decode(frame);
    }
    return frame.toString();
  }
}
