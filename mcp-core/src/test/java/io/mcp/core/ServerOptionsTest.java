package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.core.auth.Authenticators;
import io.mcp.core.internal.NettySession;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link ServerOptions}: the built defaults are the ones its javadoc table and PROTOCOL.md §9 promise,
 * heartbeat negotiation clamps as §7.2 says, a server cannot be built without an authenticator,
 * allow-all is logged as a warning, and a caller's event loop group is used but never shut down.
 */
class ServerOptionsTest {
  static final String TOKEN = "server-options-token";

  static ServerOptions.Builder builder() {
    return ServerOptions.builder().authenticator(Authenticators.staticToken(TOKEN));
  }

  @Test
  void defaults_matchTheJavadocTableAndProtocolSection9() {
    ServerOptions options = builder().build();

    assertThat(options.host()).isEqualTo("0.0.0.0");
    assertThat(options.port()).isZero();
    assertThat(options.serverId()).matches("mcp-[0-9a-f]{1,16}");
    assertThat(options.byteOrder()).isEqualTo(ByteOrder.BIG_ENDIAN);
    assertThat(options.maxPayloadBytes()).isEqualTo(4_194_304);
    assertThat(options.codecOptions().maxPayloadBytes()).isEqualTo(4_194_304);
    assertThat(options.maxHandshakePayloadBytes()).isEqualTo(65_536);
    assertThat(options.handshakeTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(options.heartbeatInterval()).isEqualTo(Duration.ofMillis(5_000));
    assertThat(options.minHeartbeatInterval()).isEqualTo(Duration.ofMillis(1_000));
    assertThat(options.maxHeartbeatInterval()).isEqualTo(Duration.ofMillis(60_000));
    assertThat(options.idleTimeout()).as("null: 3 x the agreed interval").isNull();
    assertThat(options.maxPingsPerInterval()).isEqualTo(10);
    assertThat(options.maxConnections()).isEqualTo(10_000);
    assertThat(options.maxPendingHandshakes()).isEqualTo(1_000);
    assertThat(options.closeDrainTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(options.maxInFlightRequests()).isEqualTo(1_024);
    assertThat(options.maxOutstandingRequests()).isEqualTo(1_024);
    assertThat(options.maxQueuedBytes()).isEqualTo(8L * 1024 * 1024);
    assertThat(options.writeBufferLowWaterMark()).isEqualTo(256 * 1024);
    assertThat(options.writeBufferHighWaterMark()).isEqualTo(1024 * 1024);
    assertThat(options.writeDeadline()).isEqualTo(Duration.ofSeconds(30));
    assertThat(options.tls()).isNull();
    assertThat(options.eventLoopGroup()).isNull();
    assertThat(options.ioThreads()).isZero();
    assertThat(options.telemetry()).isSameAs(Telemetry.NOOP);
    assertThat(options.loadExtensionProviders()).isTrue();
  }

  @Test
  void toBuilder_keepsEverySetting() {
    ServerOptions options = builder().serverId("ctl-a").handshakeTimeout(Duration.ofSeconds(3))
        .heartbeatBounds(Duration.ofMillis(200), Duration.ofSeconds(20)).maxConnections(7).build();

    ServerOptions copy = options.toBuilder().build();

    assertThat(copy.serverId()).isEqualTo("ctl-a");
    assertThat(copy.handshakeTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(copy.minHeartbeatInterval()).isEqualTo(Duration.ofMillis(200));
    assertThat(copy.maxHeartbeatInterval()).isEqualTo(Duration.ofSeconds(20));
    assertThat(copy.maxConnections()).isEqualTo(7);
    assertThat(copy.authenticator()).isSameAs(options.authenticator());
  }

  /** PROTOCOL.md §7.2: requested = wanted, or the default for 0; then clamped to [min, max]. */
  @ParameterizedTest(name = "wanted {0} ms -> agreed {1} ms")
  @CsvSource({
      "0, 5000",          // 0 asks for the server's default
      "1, 1000",          // below the minimum: raised to it
      "500, 1000",
      "999, 1000",
      "1000, 1000",       // the bounds themselves are kept
      "20000, 20000",
      "60000, 60000",
      "60001, 60000",     // above the maximum: lowered to it
      "120000, 60000",
      "4294967295, 60000" // the largest u32 the Hello can carry
  })
  void negotiateHeartbeat_defaultBounds(long wantedMillis, long agreedMillis) {
    assertThat(builder().build().negotiateHeartbeat(wantedMillis)).isEqualTo(Duration.ofMillis(agreedMillis));
  }

  @Test
  void negotiateHeartbeat_customBounds_clampBothWays() {
    ServerOptions options = builder().heartbeatInterval(Duration.ofSeconds(2))
        .heartbeatBounds(Duration.ofMillis(500), Duration.ofSeconds(10)).build();

    assertThat(options.negotiateHeartbeat(0)).isEqualTo(Duration.ofSeconds(2));
    assertThat(options.negotiateHeartbeat(100)).isEqualTo(Duration.ofMillis(500));
    assertThat(options.negotiateHeartbeat(30_000)).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void negotiateHeartbeat_defaultOutsideTheBounds_isClampedToo() {
    ServerOptions options = builder().heartbeatInterval(Duration.ofMillis(300)).build();

    assertThat(options.negotiateHeartbeat(0)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void heartbeatBounds_invalid_refusedNamingTheValues() {
    assertThatThrownBy(() -> builder().heartbeatBounds(Duration.ofSeconds(10), Duration.ofSeconds(5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("minHeartbeatInterval 10000 ms exceeds maxHeartbeatInterval 5000 ms");
    assertThatThrownBy(() -> builder().heartbeatBounds(Duration.ZERO, Duration.ofSeconds(5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("minHeartbeatInterval 0 ms must be positive");
    // The agreed interval travels in whole milliseconds, and the client refuses 0 (PROTOCOL.md §6.5).
    assertThatThrownBy(() -> builder().heartbeatBounds(Duration.ofNanos(500_000), Duration.ofSeconds(5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("minHeartbeatInterval PT0.0005S is below 1 ms (the agreed interval is sent in whole ms, never 0)");
    // Welcome.heartbeat_interval_ms is a u32.
    assertThatThrownBy(() -> builder().heartbeatBounds(Duration.ofSeconds(1), Duration.ofMillis(4_294_967_296L)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxHeartbeatInterval 4294967296 ms exceeds 4294967295 ms (a u32 in the Welcome)");
    assertThatThrownBy(() -> builder().heartbeatBounds(Duration.ofSeconds(1), Duration.ofSeconds(Long.MAX_VALUE)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("maxHeartbeatInterval PT").hasMessageEndingWith("exceeds 4294967295 ms (a u32 in the Welcome)");
    ServerOptions widest = builder().heartbeatBounds(Duration.ofMillis(1), Duration.ofMillis(4_294_967_295L)).build();
    assertThat(widest.negotiateHeartbeat(4_294_967_295L)).isEqualTo(Duration.ofMillis(4_294_967_295L));
  }

  @Test
  void limits_outOfRange_refusedNamingTheValueAndTheRange() {
    assertThatThrownBy(() -> builder().maxConnections(0)).hasMessage("maxConnections 0 outside 1..2147483647");
    assertThatThrownBy(() -> builder().maxPendingHandshakes(-1))
        .hasMessage("maxPendingHandshakes -1 outside 1..2147483647");
    assertThatThrownBy(() -> builder().maxPingsPerInterval(0)).hasMessage("maxPingsPerInterval 0 outside 1..2147483647");
    assertThatThrownBy(() -> builder().handshakeTimeout(Duration.ofSeconds(-1)))
        .hasMessage("handshakeTimeout -1000 ms must be positive");
    assertThatThrownBy(() -> builder().port(65_536)).hasMessage("port 65536 outside 0..65535");
  }

  @Test
  void build_withoutAuthenticator_refusedSayingWhatToDo() {
    assertThatThrownBy(() -> ServerOptions.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("no authenticator chosen: set one (Authenticators.allowAll() accepts everyone)");
  }

  @Test
  void allowAll_serverLogsAWarningWhenItStarts() throws Exception {
    McpServer server = McpServer.create(ServerOptions.builder().host("127.0.0.1").ioThreads(1).serverId("open-door")
        .authenticator(Authenticators.allowAll()).build());

    String log = captureStandardError(server::start);
    server.shutdown(Duration.ofSeconds(1)).get(10, TimeUnit.SECONDS);

    assertThat(log).contains(
        "WARN io.mcp.core.McpServer - MCP server open-door accepts every client: the allow-all authenticator is configured");
  }

  @Test
  void otherAuthenticator_noWarning() throws Exception {
    McpServer server = McpServer.create(builder().host("127.0.0.1").ioThreads(1).serverId("closed-door").build());

    String log = captureStandardError(server::start);
    server.shutdown(Duration.ofSeconds(1)).get(10, TimeUnit.SECONDS);

    assertThat(log).as("the capture works").contains("MCP server closed-door listening on");
    assertThat(log).doesNotContain("closed-door accepts every client");
  }

  @Test
  void callersEventLoopGroup_servesSessions_andIsNotShutDownWithTheServer() throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      McpServer server = McpServer.create(builder().host("127.0.0.1").eventLoopGroup(group).build()).start();
      assertThat(server.eventLoopGroup()).isSameAs(group);
      try (McpClient client = McpClient.create(ClientOptions.builder("node-1").token(TOKEN).build())) {
        Session session = client.connect(new InetSocketAddress("127.0.0.1", server.port())).get(10, TimeUnit.SECONDS);
        assertThat(session.state()).isEqualTo(SessionState.READY);
        assertThat(server.sessions()).hasSize(1);
        assertThat(((NettySession) server.sessions().iterator().next()).channel().eventLoop().parent()).isSameAs(group);

        server.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
        session.closeFuture().get(10, TimeUnit.SECONDS);
      }

      assertThat(group.isShuttingDown()).as("the caller's group is the caller's to shut down").isFalse();
      assertThat(group.submit(() -> "still running").get(10, TimeUnit.SECONDS)).isEqualTo("still running");
      // And it can serve the next server.
      McpServer next = McpServer.create(builder().host("127.0.0.1").eventLoopGroup(group).build()).start();
      next.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
      assertThat(group.isShuttingDown()).isFalse();
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @Test
  void shutdownHooks_runFirstWithTheGrace_removedOnesDoNot_aFailingOneDoesNotStopTheShutdown() throws Exception {
    McpServer server = McpServer.create(builder().host("127.0.0.1").ioThreads(1).build()).start();
    try (McpClient client = McpClient.create(ClientOptions.builder("node-1").token(TOKEN).build())) {
      Session session = client.connect(new InetSocketAddress("127.0.0.1", server.port())).get(10, TimeUnit.SECONDS);
      Session serverSide = server.sessions().iterator().next();
      java.util.List<String> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
      java.util.function.Consumer<Duration> removed = grace -> ran.add("removed");
      server.addShutdownHook(grace -> ran.add("first: " + grace.toMillis() + " ms, session " + serverSide.state()));
      server.addShutdownHook(grace -> {
        throw new IllegalStateException("hook bug");
      });
      server.addShutdownHook(removed);
      server.removeShutdownHook(removed);

      server.shutdown(Duration.ofMillis(1500)).get(10, TimeUnit.SECONDS);

      assertThat(ran).containsExactly("first: 1500 ms, session READY");
      assertThat(session.closeFuture().get(10, TimeUnit.SECONDS).code()).isEqualTo(io.mcp.codec.CloseCode.GOING_AWAY);
    }
  }

  interface Action {
    void run() throws Exception;
  }

  /**
   * Runs {@code action} with standard error copied into a buffer and returns what was written.
   * slf4j-simple, the test logging backend, looks up {@code System.err} on every write (its default;
   * simplelogger.properties does not cache the stream), so a swapped stream sees the log lines.
   */
  static String captureStandardError(Action action) throws Exception {
    PrintStream original = System.err;
    ByteArrayOutputStream copy = new ByteArrayOutputStream();
    OutputStream tee = new OutputStream() {
      @Override
      public void write(int b) {
        original.write(b);
        copy.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        original.write(b, off, len);
        copy.write(b, off, len);
      }

      @Override
      public void flush() {
        original.flush();
      }
    };
    System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
    try {
      action.run();
    } finally {
      System.err.flush();
      System.setErr(original);
    }
    return copy.toString(StandardCharsets.UTF_8);
  }
}
