package io.mcp.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.codec.CloseCode;
import io.mcp.codec.McpException;
import io.mcp.core.ClientOptions;
import io.mcp.core.McpClient;
import io.mcp.core.MessageHandlers;
import io.mcp.core.Reply;
import io.mcp.core.Session;
import io.mcp.core.SessionClose;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Runs {@code echo-server} in a child JVM as a user would, then stops it with SIGTERM. */
class EchoServerCommandTest {
  @Test
  void echoServer_printsListening_echoesRequestsAndOneWayMessages_andStopsOnSigterm() throws Exception {
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "echo-server", "--port", "0", "--token", "t0ken", "--heartbeat-interval-ms", "1000"));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
        Pattern listening = Pattern.compile("^listening on 127\\.0\\.0\\.1:(\\d+)$");
        try {
          String line;
          while ((line = out.readLine()) != null) {
            Matcher m = listening.matcher(line);
            if (m.matches()) {
              return Integer.parseInt(m.group(1));
            }
          }
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        throw new AssertionError("echo-server exited without a listening line");
      });
      InetSocketAddress address = new InetSocketAddress("127.0.0.1", port.get(30, TimeUnit.SECONDS));

      BlockingQueue<String> oneWay = new LinkedBlockingQueue<>();
      MessageHandlers received = MessageHandlers.builder().fallback(message -> {
        oneWay.add((message.isRequest() ? "request " : "one-way ") + message.type() + " "
            + StandardCharsets.UTF_8.decode(message.body()));
        return Reply.empty();
      }).build();
      try (McpClient client = McpClient.create(
          ClientOptions.builder("tester").token("t0ken").handlers(received).build())) {
        Session session = client.connect(address).get(10, TimeUnit.SECONDS);
        assertThat(session.heartbeatInterval().toMillis()).isEqualTo(1000);
        for (String type : new String[] {"config.get", "anything-at-all"}) {
          Reply reply = session.requestBlocking(type, ByteBuffer.wrap("ping me back".getBytes(StandardCharsets.UTF_8)),
              Duration.ofSeconds(10));
          assertThat(new String(reply.bodyBytes(), StandardCharsets.UTF_8)).isEqualTo("ping me back");
        }
        session.send("status.note", ByteBuffer.wrap("one way".getBytes(StandardCharsets.UTF_8)))
            .get(10, TimeUnit.SECONDS);
        assertThat(oneWay.poll(10, TimeUnit.SECONDS)).isEqualTo("one-way status.note one way");
        assertThat(oneWay).isEmpty();

        try (McpClient wrong = McpClient.create(ClientOptions.builder("x").token("nope").build())) {
          ExecutionException rejected = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
              () -> wrong.connect(address).get(10, TimeUnit.SECONDS));
          assertThat(((McpException) rejected.getCause()).closeCode()).isEqualTo(CloseCode.UNAUTHENTICATED);
        }

        process.destroy(); // SIGTERM
        SessionClose close = session.closeFuture().get(10, TimeUnit.SECONDS);
        assertThat(close.code()).isEqualTo(CloseCode.GOING_AWAY);
      }
      assertThat(process.waitFor(15, TimeUnit.SECONDS)).isTrue();
    } finally {
      process.destroyForcibly();
    }
  }

  @Test
  void unknownOption_usageErrorExitCode2() {
    assertThat(Main.run("echo-server", "--port", "0", "--no-such-option")).isEqualTo(2);
  }

  @Test
  void codecDemo_succeeds() {
    assertThat(Main.run("codec-demo")).isZero();
  }

  @Test
  void controlPlaneDemo_runsItsStepsAndConverges() throws Exception {
    java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
    java.io.PrintStream out = new java.io.PrintStream(buffer, true, StandardCharsets.UTF_8);

    io.mcp.config.McpServerConfig config = io.mcp.config.McpServerConfig.builder()
        .server(io.mcp.config.TcpServerConfig.builder().port(0).build())
        .grpc(io.mcp.config.GrpcConfig.builder().port(0).build())
        .http(io.mcp.config.HttpConfig.builder().port(0).build())
        .store(io.mcp.config.StoreConfig.builder().type("memory").build())
        .build();
    int code = new ControlPlaneDemo(out).run(config, true);

    String text = buffer.toString(StandardCharsets.UTF_8);
    assertThat(code).isZero();
    assertThat(text).contains("payments@1: 3 acked, 0 rejected", "shipping@1: 1 acked, 0 rejected",
        "payments@2: 2 acked, 1 rejected", "NACK payments@2: line 1: expected key=value",
        "rolled payments back to the content of version 1 as version 3", "payments@3: 3 acked, 0 rejected",
        "pay-2    connected over grpc (payments, zone eu-2)", "pay-1    connected over tcp (payments, zone eu-1)");
    assertThat(text).containsPattern("(?m)^listening mcp 127\\.0\\.0\\.1:\\d+$")
        .containsPattern("(?m)^listening grpc 127\\.0\\.0\\.1:\\d+$");
  }
}
