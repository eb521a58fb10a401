package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.core.auth.Authenticators;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link ClientOptions}: the built defaults are the ones its javadoc table and PROTOCOL.md §9
 * promise, and a caller's event loop group is used but never shut down by {@link McpClient#close()}.
 */
class ClientOptionsTest {
  @Test
  void defaults_matchTheJavadocTableAndProtocolSection9() {
    ClientOptions options = ClientOptions.builder("node-1").build();

    assertThat(options.nodeId()).isEqualTo("node-1");
    assertThat(options.serviceName()).isEmpty();
    assertThat(options.token()).isEmpty();
    assertThat(options.heartbeatInterval()).as("0: the server's default").isEqualTo(Duration.ZERO);
    assertThat(options.byteOrder()).isEqualTo(ByteOrder.BIG_ENDIAN);
    assertThat(options.maxPayloadBytes()).isEqualTo(4_194_304);
    assertThat(options.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(options.handshakeTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(options.idleTimeout()).as("null: 3 x the agreed interval").isNull();
    assertThat(options.maxPingsPerInterval()).isEqualTo(10);
    assertThat(options.closeDrainTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(options.maxInFlightRequests()).isEqualTo(1_024);
    assertThat(options.maxOutstandingRequests()).isEqualTo(1_024);
    assertThat(options.maxQueuedBytes()).isEqualTo(8L * 1024 * 1024);
    assertThat(options.writeBufferLowWaterMark()).isEqualTo(256 * 1024);
    assertThat(options.writeBufferHighWaterMark()).isEqualTo(1024 * 1024);
    assertThat(options.writeDeadline()).isEqualTo(Duration.ofSeconds(30));
    assertThat(options.tls()).isNull();
    assertThat(options.eventLoopGroup()).isNull();
  }

  @Test
  void badValues_refusedNamingTheValue() {
    assertThatThrownBy(() -> ClientOptions.builder("")).hasMessage("nodeId must not be empty");
    assertThatThrownBy(() -> ClientOptions.builder("n").heartbeatInterval(Duration.ofMillis(-1)))
        .hasMessage("heartbeatInterval -1 ms is negative");
    assertThatThrownBy(() -> ClientOptions.builder("n").maxQueuedBytes(0))
        .hasMessage("maxQueuedBytes 0 must be positive");
  }

  @Test
  void callersEventLoopGroup_isUsed_andNotShutDownWhenTheClientCloses() throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    McpServer server = McpServer.create(ServerOptions.builder().host("127.0.0.1").ioThreads(1)
        .authenticator(Authenticators.allowAll()).build()).start();
    try {
      try (McpClient client = McpClient.create(ClientOptions.builder("node-1").eventLoopGroup(group).build())) {
        assertThat(client.eventLoopGroup()).isSameAs(group);
        Session session = client.connect(new InetSocketAddress("127.0.0.1", server.port())).get(10, TimeUnit.SECONDS);
        assertThat(((io.mcp.core.internal.NettySession) session).channel().eventLoop().parent()).isSameAs(group);
        session.close().get(10, TimeUnit.SECONDS);
      }

      assertThat(group.isShuttingDown()).as("the caller's group is the caller's to shut down").isFalse();
      assertThat(group.submit(() -> "still running").get(10, TimeUnit.SECONDS)).isEqualTo("still running");
    } finally {
      server.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
