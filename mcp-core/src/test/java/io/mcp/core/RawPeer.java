package io.mcp.core;

import io.mcp.codec.Close;
import io.mcp.codec.CodecOptions;
import io.mcp.codec.Command;
import io.mcp.codec.Frame;
import io.mcp.codec.FrameDecoder;
import io.mcp.codec.FrameEncoder;
import io.mcp.codec.McpException;
import io.mcp.core.proto.Hello;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A hand-driven MCP/1 peer on a plain blocking socket, built only from the codec: it writes exactly
 * the bytes a test gives it, so tests can break every rule. Reads are bounded by a 10 s timeout.
 */
final class RawPeer implements AutoCloseable {
  static final int TIMEOUT_MS = 10_000;

  final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final FrameDecoder decoder =
      FrameDecoder.create(CodecOptions.builder().maxPayloadBytes(64 * 1024 * 1024).acceptAllExtensions().build());
  private final FrameEncoder encoder =
      FrameEncoder.create(CodecOptions.builder().maxPayloadBytes(CodecOptions.MAX_MAX_PAYLOAD_BYTES).build());
  private final Deque<Frame> frames = new ArrayDeque<>();

  RawPeer(InetSocketAddress address) throws IOException {
    this(address, 0);
  }

  /** A peer whose socket receive buffer is {@code receiveBufferBytes} (0 = the OS default). */
  RawPeer(InetSocketAddress address, int receiveBufferBytes) throws IOException {
    socket = new Socket();
    if (receiveBufferBytes > 0) {
      socket.setReceiveBufferSize(receiveBufferBytes);
    }
    socket.connect(address, TIMEOUT_MS);
    socket.setSoTimeout(TIMEOUT_MS);
    socket.setTcpNoDelay(true);
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  static Hello.Builder hello(String nodeId) {
    return Hello.newBuilder().setProtocolVersion(1).setNodeId(nodeId).setServiceName("svc");
  }

  RawPeer write(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
    return this;
  }

  RawPeer send(Command command, byte[] payload) throws IOException {
    return write(encoder.encode(Frame.of(command, payload)));
  }

  RawPeer sendOneBytePerWrite(Command command, byte[] payload) throws IOException {
    for (byte b : encoder.encode(Frame.of(command, payload))) {
      write(new byte[] {b});
    }
    return this;
  }

  /** Sends a REQUEST envelope in a DATA frame. */
  RawPeer request(long id, String type, byte[] body) throws IOException {
    return send(Command.DATA, io.mcp.codec.Envelope.request(id, type, 0, java.util.Map.of(), ByteBuffer.wrap(body)).encode());
  }

  /** The DATA payload of {@code frame} as an envelope. */
  static io.mcp.codec.Envelope envelope(Frame frame) {
    if (frame.command() != Command.DATA) {
      throw new AssertionError("expected DATA, got " + describe(frame));
    }
    return io.mcp.codec.Envelope.decode(frame.payload());
  }

  /** Reads the next frame and expects a RESPONSE to {@code id}; returns its body. */
  byte[] readResponse(long id) throws IOException {
    io.mcp.codec.Envelope envelope = envelope(read());
    if (envelope.kind() != io.mcp.codec.Envelope.Kind.RESPONSE || envelope.correlationId() != id) {
      throw new AssertionError("expected RESPONSE " + id + ", got " + envelope);
    }
    byte[] body = new byte[envelope.bodyLength()];
    envelope.body().get(body);
    return body;
  }

  /** Sends Hello and returns the Welcome frame's payload. */
  Frame handshake(Hello hello) throws IOException {
    send(Command.HANDSHAKE, hello.toByteArray());
    Frame welcome = read();
    if (welcome.command() != Command.HANDSHAKE) {
      throw new AssertionError("expected Welcome, got " + describe(welcome));
    }
    return welcome;
  }

  /** The next frame; fails on EOF or after the timeout. */
  Frame read() throws IOException {
    Frame frame = readOrNull();
    if (frame == null) {
      throw new AssertionError("connection closed before a frame arrived");
    }
    return frame;
  }

  /** The next frame, or null at EOF. */
  Frame readOrNull() throws IOException {
    byte[] buffer = new byte[64 * 1024];
    while (frames.isEmpty()) {
      int n = in.read(buffer);
      if (n < 0) {
        return null;
      }
      decoder.decode(ByteBuffer.wrap(buffer, 0, n), f -> frames.add(f.copy()));
    }
    return frames.poll();
  }

  /** Reads until a CLOSE frame, then expects EOF; returns the CLOSE. */
  Close expectClose() throws IOException {
    while (true) {
      Frame frame = read();
      if (frame.command() == Command.CLOSE) {
        Close close = Close.decode(frame);
        expectEof();
        return close;
      }
    }
  }

  /** Expects the server to close the connection (EOF or reset) without sending more frames. */
  void expectEof() throws IOException {
    try {
      Frame next = readOrNull();
      if (next != null) {
        throw new AssertionError("expected EOF, got " + describe(next));
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("connection still open after " + TIMEOUT_MS + " ms", e);
    } catch (McpException e) {
      throw new AssertionError("garbage after close", e);
    }
  }

  static String describe(Frame frame) {
    return frame.command() == Command.CLOSE ? "CLOSE " + Close.decode(frame) : frame.toString();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
