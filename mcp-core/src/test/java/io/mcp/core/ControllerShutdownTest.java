package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.auth.Authenticators;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Shutting a controller down while a rollout still waits for an agent. */
class ControllerShutdownTest {

  @Test
  void shutdownDuringARollout_wakesWaiters_andPublishesTheDisconnection() throws Exception {
    Controller controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(Authenticators.staticToken("agent-token")).build(), new InMemoryConfigStore()).build())
        .start();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Agent agent = Agent.create(AgentOptions.builder("slow-node").services("payments").token("agent-token")
        .endpoint(new InetSocketAddress("127.0.0.1", controller.port()))
        .reconnectPolicy(ReconnectPolicy.builder().initialBackoff(Duration.ofSeconds(30)).build())
        .configListener((service, version, config) -> {
          entered.countDown();
          release.await(20, TimeUnit.SECONDS); // never answers while the controller runs
        }).build()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (controller.nodes().stream().noneMatch(NodeView::connected) && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      LinkedBlockingQueue<FleetEvent> disconnected = new LinkedBlockingQueue<>();
      controller.subscribe(disconnected::add, e -> e.type() == FleetEvent.Type.DISCONNECTED);
      long version = controller.apply("payments", new byte[] {1});
      CompletableFuture<RolloutResult> waiting = controller.rolloutFuture("payments", version, RolloutCondition.all());
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

      controller.shutdown(Duration.ofMillis(200)).get(10, TimeUnit.SECONDS);

      // The closed session ends the wait (the node can no longer answer) and is an event, even
      // though the rollout thread is gone by then.
      RolloutResult result = waiting.get(10, TimeUnit.SECONDS);
      assertThat(result.acked()).isEmpty();
      assertThat(disconnected.poll(10, TimeUnit.SECONDS)).isNotNull()
          .satisfies(e -> assertThat(e.nodeId()).isEqualTo("slow-node"));
    } finally {
      release.countDown();
      agent.close();
    }
  }
}
