package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.codec.CloseCode;
import io.mcp.codec.McpException;
import io.mcp.core.auth.Authenticators;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Sessions handed to the server over its in-VM address behave exactly like TCP sessions. */
class LocalTransportTest {
  @Test
  void localSession_handshakesAuthenticatesAndMessages() throws Exception {
    McpServer server = McpServer.create(ServerOptions.builder().host("127.0.0.1")
        .authenticator(Authenticators.staticToken("t"))
        .handlers(MessageHandlers.builder().fallback(m -> Reply.of(m.body())).build()).build()).start();
    try (McpClient client = McpClient.create(ClientOptions.builder("local-node").token("t").build());
        McpClient wrong = McpClient.create(ClientOptions.builder("intruder").token("x").build())) {
      Session session = client.connect(server.localTransportAddress()).get(10, TimeUnit.SECONDS);

      Reply reply = session.requestBlocking("echo", ByteBuffer.wrap("via local".getBytes(StandardCharsets.UTF_8)),
          Duration.ofSeconds(10));

      assertThat(new String(reply.bodyBytes(), StandardCharsets.UTF_8)).isEqualTo("via local");
      assertThat(server.sessions()).extracting(Session::nodeId).containsExactly("local-node");
      ExecutionException rejected = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> wrong.connect(server.localTransportAddress()).get(10, TimeUnit.SECONDS));
      assertThat(((McpException) rejected.getCause()).closeCode()).isEqualTo(CloseCode.UNAUTHENTICATED);

      session.close().get(10, TimeUnit.SECONDS);
      assertThat(session.closeFuture().get(10, TimeUnit.SECONDS).code()).isEqualTo(CloseCode.NORMAL);
    } finally {
      server.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
    }
  }
}
