package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.codec.ErrorCode;
import io.mcp.core.auth.Authenticators;
import io.mcp.core.metrics.McpMetrics;
import io.mcp.core.tracing.McpTracing;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Metrics through a SimpleMeterRegistry and spans through the OpenTelemetry SDK's in-memory exporter. */
class ObservabilityTest {
  static final Duration WAIT = Duration.ofSeconds(10);
  final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    io.mcp.core.Await.until(what, WAIT, condition);
  }

  Controller controller(Telemetry telemetry) {
    Controller controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(Authenticators.staticToken("agent-token")).telemetry(telemetry).build(),
        new InMemoryConfigStore()).build()).start();
    closeables.add(() -> controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS));
    return controller;
  }

  Agent agent(Controller controller, String nodeId, Telemetry telemetry) {
    Agent agent = Agent.create(AgentOptions.builder(nodeId).services("payments").token("agent-token")
        .endpoint(new InetSocketAddress("127.0.0.1", controller.port()))
        .client(b -> b.telemetry(telemetry))
        .configListener((service, version, config) -> {
          String text = StandardCharsets.UTF_8.decode(config).toString();
          if (text.startsWith("bad")) {
            throw new IllegalArgumentException("cannot parse " + text);
          }
        }).build()).start();
    closeables.add(agent);
    return agent;
  }

  static void awaitConnected(Controller controller, int count) throws InterruptedException {
    await(count + " connected", () -> controller.nodes().stream().filter(NodeView::connected).count() == count);
  }

  static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------------------------- metrics

  @Test
  void metrics_controlPlane_handshakesSessionsAppliesAnswersRollouts() throws Exception {
    McpMetrics metrics = McpMetrics.create();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    metrics.bindTo(registry);
    Controller controller = controller(metrics);
    agent(controller, "node-a", Telemetry.NOOP);
    agent(controller, "node-b", Telemetry.NOOP);
    awaitConnected(controller, 2);

    long good = controller.apply("payments", text("limit=1"));
    assertThat(controller.awaitRollout("payments", good, RolloutCondition.all(), WAIT).satisfied()).isTrue();
    long bad = controller.apply("payments", text("bad"));
    assertThat(controller.awaitRollout("payments", bad, RolloutCondition.all(), WAIT).rejected()).hasSize(2);

    // A client with a wrong token: one failed handshake, by its close code.
    McpClient intruder = McpClient.create(ClientOptions.builder("intruder").token("wrong").build());
    closeables.add(intruder);
    ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> intruder.connect(new InetSocketAddress("127.0.0.1", controller.port())).get(10, TimeUnit.SECONDS));
    assertThat(refused.getCause()).hasMessageContaining("UNAUTHENTICATED");

    await("both rollouts finished", () -> registry.find("mcp.rollout.duration").timers().stream()
        .mapToLong(t -> t.count()).sum() == 2);
    assertThat(registry.get("mcp.rollout.duration").tag("outcome", "complete").timers()).hasSize(1);
    assertThat(registry.get("mcp.config.applies").tag("service", "payments").counter().count()).isEqualTo(2);
    assertThat(registry.get("mcp.config.answers").tag("result", "ack").counter().count()).isEqualTo(2);
    assertThat(registry.get("mcp.config.answers").tag("result", "nack").counter().count()).isEqualTo(2);
    assertThat(registry.get("mcp.handshakes").tag("result", "ok").counter().count()).isEqualTo(2);
    await("the refused handshake counted", () -> registry.find("mcp.handshakes").tag("result", "UNAUTHENTICATED")
        .counter() != null);
    assertThat(registry.get("mcp.handshakes").tag("result", "UNAUTHENTICATED").counter().count()).isEqualTo(1);
    assertThat(registry.get("mcp.sessions").tags("state", "ready", "transport", "tcp").gauge().value()).isEqualTo(2);
    assertThat(registry.get("mcp.sessions").tags("state", "handshaking", "transport", "unknown").gauge().value())
        .isZero();
    // Updates, ACKs, NACKs and status reports all travelled as DATA frames.
    assertThat(registry.get("mcp.frames.received").tag("command", "DATA").functionCounter().count())
        .isGreaterThanOrEqualTo(4);
    assertThat(registry.get("mcp.frames.sent").functionCounter().count()).isGreaterThanOrEqualTo(4 + 2);
    assertThat(registry.get("mcp.bytes.sent").functionCounter().count())
        .isGreaterThan(registry.get("mcp.frames.sent").functionCounter().count() * 5);
    assertThat(registry.get("mcp.outbound.queued.bytes").gauge().value()).isGreaterThanOrEqualTo(0);
  }

  @Test
  void metrics_requestsByTypeAndOutcome_heartbeatRtt_closesByCode() throws Exception {
    McpMetrics serverMetrics = McpMetrics.create();
    McpMetrics clientMetrics = McpMetrics.create();
    SimpleMeterRegistry serverRegistry = new SimpleMeterRegistry();
    SimpleMeterRegistry clientRegistry = new SimpleMeterRegistry();
    serverMetrics.bindTo(serverRegistry);
    clientMetrics.bindTo(clientRegistry);
    McpServer server = McpServer.create(ServerOptions.builder().host("127.0.0.1")
        .authenticator(Authenticators.allowAll())
        .heartbeatBounds(Duration.ofMillis(50), Duration.ofSeconds(60))
        .telemetry(serverMetrics)
        .handlers(MessageHandlers.builder()
            .on("echo", m -> Reply.of(m.body()))
            .on("fail", m -> {
              throw new RequestException(ErrorCode.INVALID_ARGUMENT, "no");
            })
            .build())
        .build()).start();
    closeables.add(() -> server.shutdown(Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS));
    McpClient client = McpClient.create(ClientOptions.builder("c").heartbeatInterval(Duration.ofMillis(50))
        .telemetry(clientMetrics).build());
    closeables.add(client);
    Session session = client.connect(new InetSocketAddress("127.0.0.1", server.port())).get(10, TimeUnit.SECONDS);

    for (int i = 0; i < 3; i++) {
      session.request("echo", ByteBuffer.wrap(text("hi")), WAIT).get(10, TimeUnit.SECONDS);
    }
    assertThat(session.request("fail", ByteBuffer.allocate(0), WAIT)).failsWithin(WAIT);
    assertThat(session.request("nobody-handles-this", ByteBuffer.allocate(0), WAIT)).failsWithin(WAIT);
    await("a heartbeat round trip", () -> clientRegistry.get("mcp.heartbeat.rtt").timer().count() > 0);

    assertThat(clientRegistry.get("mcp.requests.sent").tags("type", "echo", "outcome", "ok").timer().count())
        .isEqualTo(3);
    assertThat(clientRegistry.get("mcp.requests.sent").tags("type", "fail", "outcome", "INVALID_ARGUMENT")
        .timer().count()).isEqualTo(1);
    assertThat(clientRegistry.get("mcp.requests.sent").tags("outcome", "UNKNOWN_MESSAGE_TYPE").timer().count())
        .isEqualTo(1);
    assertThat(serverRegistry.get("mcp.requests.handled").tags("type", "echo", "outcome", "ok").timer().count())
        .isEqualTo(3);
    assertThat(serverRegistry.get("mcp.requests.handled").tags("type", "fail", "outcome", "INVALID_ARGUMENT")
        .timer().count()).isEqualTo(1);
    assertThat(serverRegistry.get("mcp.requests.handled").tags("outcome", "UNKNOWN_MESSAGE_TYPE").timer().count())
        .isEqualTo(1);
    assertThat(serverRegistry.get("mcp.frames.received").tag("command", "HANDSHAKE").functionCounter().count())
        .isEqualTo(1);

    session.close().get(10, TimeUnit.SECONDS);
    await("the close counted on the server", () -> serverRegistry.find("mcp.sessions.closed").counter() != null);
    assertThat(serverRegistry.get("mcp.sessions.closed").tags("code", "NORMAL", "initiator", "remote").counter()
        .count()).isEqualTo(1);
    assertThat(clientRegistry.get("mcp.sessions.closed").tags("code", "NORMAL", "initiator", "local").counter()
        .count()).isEqualTo(1);
    await("no live session left", () -> serverRegistry.get("mcp.sessions").gauges().stream()
        .mapToDouble(g -> g.value()).sum() == 0);
  }

  @Test
  void metrics_typeTagCardinalityIsBounded() {
    McpMetrics metrics = McpMetrics.create();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    metrics.bindTo(registry);
    for (int i = 0; i < McpMetrics.MAX_TYPES + 50; i++) {
      metrics.requestHandled("type-" + i, null, 1_000);
    }
    java.util.Collection<Meter> handled = registry.find("mcp.requests.handled").meters();
    assertThat(handled).hasSize(McpMetrics.MAX_TYPES + 1);
    assertThat(registry.get("mcp.requests.handled").tag("type", "other").timer().count()).isEqualTo(50);
  }

  @Test
  void mdc_sessionNodeAndTraceIdWhileAHandlerRuns_clearedAfter() throws Exception {
    java.util.concurrent.BlockingQueue<String> seen = new java.util.concurrent.LinkedBlockingQueue<>();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
    closeables.add(pool::shutdownNow);
    McpServer server = McpServer.create(ServerOptions.builder().host("127.0.0.1")
        .authenticator(Authenticators.allowAll()).handlerExecutor(pool)
        .handlers(MessageHandlers.builder().on("who", m -> Reply.of(ByteBuffer.wrap(text(
            org.slf4j.MDC.get("mcp.session") + " " + org.slf4j.MDC.get("mcp.node") + " "
                + org.slf4j.MDC.get("mcp.trace"))))).build())
        .build()).start();
    closeables.add(() -> server.shutdown(Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS));
    McpClient client = McpClient.create(ClientOptions.builder("node-7").build());
    closeables.add(client);
    Session session = client.connect(new InetSocketAddress("127.0.0.1", server.port())).get(10, TimeUnit.SECONDS);
    String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    Reply reply = session.request("who", java.util.Map.of("traceparent", traceparent), ByteBuffer.allocate(0), WAIT)
        .get(10, TimeUnit.SECONDS);
    Reply untraced = session.request("who", ByteBuffer.allocate(0), WAIT).get(10, TimeUnit.SECONDS);
    pool.submit(() -> seen.add(String.valueOf(org.slf4j.MDC.get("mcp.session")))).get(10, TimeUnit.SECONDS);

    assertThat(StandardCharsets.UTF_8.decode(reply.body()).toString())
        .isEqualTo(session.id() + " node-7 4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(StandardCharsets.UTF_8.decode(untraced.body()).toString()).isEqualTo(session.id() + " node-7 ");
    assertThat(seen.take()).isEqualTo("null"); // nothing leaks into the pool thread's next task
  }

  // ---------------------------------------------------------------------------------- tracing

  @Test
  void tracing_oneTraceFromApplyToEveryAgentsAnswer() throws Exception {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    SdkTracerProvider provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter))
        .build();
    closeables.add(provider);
    OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(provider)
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
    McpTracing tracing = McpTracing.create(otel);
    Controller controller = controller(Telemetry.composite(tracing, McpMetrics.create()));
    agent(controller, "node-a", tracing);
    agent(controller, "node-b", tracing);
    awaitConnected(controller, 2);

    Span request = otel.getTracer("test").spanBuilder("admin request").startSpan();
    long good;
    long bad;
    try (Scope ignored = request.makeCurrent()) {
      good = controller.apply("payments", text("limit=1"));
      controller.awaitRollout("payments", good, RolloutCondition.all(), WAIT);
      bad = controller.apply("payments", text("bad"));
      controller.awaitRollout("payments", bad, RolloutCondition.all(), WAIT);
    } finally {
      request.end();
    }
    await("rollouts, pushes and agent spans ended", () -> exporter.getFinishedSpanItems().size() == 1 + 2 * (1 + 2 + 2));

    List<SpanData> spans = exporter.getFinishedSpanItems();
    assertThat(spans).extracting(SpanData::getTraceId).containsOnly(request.getSpanContext().getTraceId());
    for (long version : new long[] {good, bad}) {
      SpanData rollout = only(spans, "mcp.rollout", version);
      assertThat(rollout.getParentSpanId()).isEqualTo(request.getSpanContext().getSpanId());
      List<SpanData> pushes = all(spans, "mcp.push", version);
      List<SpanData> applies = all(spans, "mcp.agent.apply", version);
      assertThat(pushes).extracting(s -> s.getAttributes().get(AttributeKey.stringKey("mcp.node_id")))
          .containsExactlyInAnyOrder("node-a", "node-b");
      assertThat(pushes).allSatisfy(s -> assertThat(s.getParentSpanId()).isEqualTo(rollout.getSpanId()));
      assertThat(applies).hasSize(2)
          .allSatisfy(s -> assertThat(s.getParentSpanId()).isEqualTo(rollout.getSpanId()));
      StatusCode expected = version == good ? StatusCode.OK : StatusCode.ERROR;
      assertThat(pushes).allSatisfy(s -> assertThat(s.getStatus().getStatusCode()).isEqualTo(expected));
      if (version == bad) {
        assertThat(applies).allSatisfy(s -> {
          assertThat(s.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
          assertThat(s.getStatus().getDescription()).isEqualTo("cannot parse bad");
        });
      }
    }
  }

  static List<SpanData> all(List<SpanData> spans, String name, long version) {
    return spans.stream().filter(s -> s.getName().equals(name)
        && Long.valueOf(version).equals(s.getAttributes().get(AttributeKey.longKey("mcp.version"))))
        .collect(Collectors.toList());
  }

  static SpanData only(List<SpanData> spans, String name, long version) {
    List<SpanData> found = all(spans, name, version);
    assertThat(found).as(name + " of version " + version).hasSize(1);
    return found.get(0);
  }
}
