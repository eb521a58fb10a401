package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.mcp.codec.Close;
import io.mcp.codec.CloseCode;
import io.mcp.codec.CodecOptions;
import io.mcp.codec.Command;
import io.mcp.codec.Frame;
import io.mcp.codec.FrameDecoder;
import io.mcp.codec.FrameEncoder;
import io.mcp.codec.McpException;
import io.mcp.core.proto.Hello;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link McpClient} against a hand-driven server on a plain {@link ServerSocket} (127.0.0.1): what
 * the connect future reports and what the client writes when the server misbehaves before the
 * Welcome. The handshake rules themselves are pinned to the millisecond in {@code
 * EmbeddedClientSessionTest}; this checks that the client wires them up (its pre-handshake limit, its
 * handshake timeout) and how it explains a silent close. Every wait is bounded by 10 s.
 */
class ClientHandshakeTest {
  static final int TIMEOUT_MS = 10_000;

  ServerSocket listener;
  McpClient client;

  @BeforeEach
  void listen() throws IOException {
    listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    listener.setSoTimeout(TIMEOUT_MS);
  }

  @AfterEach
  void stop() throws IOException {
    if (client != null) {
      client.close();
    }
    listener.close();
  }

  CompletableFuture<Session> connect(ClientOptions.Builder options) {
    client = McpClient.create(options.build());
    return client.connect(new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort()));
  }

  static ClientOptions.Builder options() {
    return ClientOptions.builder("node-1").serviceName("svc").token("t");
  }

  /** Waits for the future to fail; returns the McpException it failed with. */
  static McpException failure(CompletableFuture<Session> future) {
    ExecutionException e = catchThrowableOfType(ExecutionException.class,
        () -> future.get(TIMEOUT_MS, TimeUnit.MILLISECONDS));
    assertThat(e).as("connect future should fail").isNotNull();
    assertThat(e.getCause()).isInstanceOf(McpException.class);
    return (McpException) e.getCause();
  }

  @Test
  void silentServer_handshakeTimeout_closeSentAndConnectFails() throws Exception {
    CompletableFuture<Session> future = connect(options().handshakeTimeout(Duration.ofMillis(300)));

    try (AcceptedPeer server = AcceptedPeer.accept(listener)) {
      server.readHello();

      assertThat(server.expectClose()).isEqualTo(Close.of(CloseCode.HANDSHAKE_TIMEOUT, "no Welcome within 300 ms"));
    }
    McpException e = failure(future);
    assertThat(e.closeCode()).isEqualTo(CloseCode.HANDSHAKE_TIMEOUT);
    assertThat(e.getMessage()).contains("no Welcome within 300 ms").doesNotContain("expect TLS");
  }

  @Test
  void frameOverThePreHandshakeLimit_frameTooLarge_closeSentAndConnectFails() throws Exception {
    CompletableFuture<Session> future = connect(options());

    try (AcceptedPeer server = AcceptedPeer.accept(listener)) {
      server.readHello();
      server.write(new byte[] {0, 1, 0, 1, 1}); // a HANDSHAKE header declaring 65,537 bytes

      assertThat(server.expectClose())
          .isEqualTo(Close.of(CloseCode.FRAME_TOO_LARGE, "declared length 65537 exceeds max 65536"));
    }
    assertThat(failure(future).closeCode()).isEqualTo(CloseCode.FRAME_TOO_LARGE);
  }

  @Test
  void peerClosesBeforeTheHandshakeWithoutAFrame_errorAsksWhetherTheServerExpectsTls() throws Exception {
    CompletableFuture<Session> future = connect(options());

    try (AcceptedPeer server = AcceptedPeer.accept(listener)) {
      server.readHello();
    } // closed (FIN): all input was read, so no reset

    McpException e = failure(future);
    assertThat(e.closeCode()).isEqualTo(CloseCode.GOING_AWAY);
    assertThat(e.getMessage()).contains("closed before READY: TRANSPORT")
        .contains("the peer closed the connection before the handshake, without a frame (does the server expect TLS?)");
  }

  @Test
  void peerClosesWithACloseFrame_errorCarriesItsCode_andNoTlsHint() throws Exception {
    CompletableFuture<Session> future = connect(options());

    try (AcceptedPeer server = AcceptedPeer.accept(listener)) {
      server.readHello();
      server.write(FrameEncoder.create().encode(Close.of(CloseCode.OVERLOADED, "1000 pending handshakes (max 1000)")
          .toFrame()));
      server.expectEof();
    }

    McpException e = failure(future);
    assertThat(e.closeCode()).isEqualTo(CloseCode.OVERLOADED);
    assertThat(e.getMessage()).contains("REMOTE OVERLOADED").doesNotContain("expect TLS");
  }

  /** The server end of one accepted connection, reading frames with the codec; reads time out after 10 s. */
  static final class AcceptedPeer implements AutoCloseable {
    final Socket socket;
    final InputStream in;
    final FrameDecoder decoder = FrameDecoder.create(CodecOptions.defaults());
    final Deque<Frame> frames = new ArrayDeque<>();

    private AcceptedPeer(Socket socket) throws IOException {
      this.socket = socket;
      socket.setSoTimeout(TIMEOUT_MS);
      this.in = socket.getInputStream();
    }

    static AcceptedPeer accept(ServerSocket listener) throws IOException {
      return new AcceptedPeer(listener.accept());
    }

    void write(byte[] bytes) throws IOException {
      socket.getOutputStream().write(bytes);
      socket.getOutputStream().flush();
    }

    /** The next frame, or null at EOF. */
    Frame readOrNull() throws IOException {
      byte[] buffer = new byte[8 * 1024];
      while (frames.isEmpty()) {
        int n = in.read(buffer);
        if (n < 0) {
          return null;
        }
        decoder.decode(ByteBuffer.wrap(buffer, 0, n), f -> frames.add(f.copy()));
      }
      return frames.poll();
    }

    Hello readHello() throws IOException {
      Frame frame = readOrNull();
      assertThat(frame).as("the client's first frame").isNotNull();
      assertThat(frame.command()).isEqualTo(Command.HANDSHAKE);
      return Hello.parseFrom(frame.payload());
    }

    /** The next frame must be a CLOSE, followed by EOF (the client half-closed after it). */
    Close expectClose() throws IOException {
      Frame frame = readOrNull();
      assertThat(frame).as("a CLOSE from the client").isNotNull();
      assertThat(frame.command()).isEqualTo(Command.CLOSE);
      expectEof();
      return Close.decode(frame);
    }

    void expectEof() throws IOException {
      assertThat(readOrNull()).as("EOF").isNull();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
