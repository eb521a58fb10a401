package io.mcp.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.mcp.core.Agent;
import io.mcp.core.AgentOptions;
import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.NodeView;
import io.mcp.core.ReconnectPolicy;
import io.mcp.core.RolloutCondition;
import io.mcp.core.ServerOptions;
import io.mcp.core.Telemetry;
import io.mcp.core.metrics.McpMetrics;
import io.mcp.core.spi.ConfigStore;
import io.mcp.core.spi.ConfigVersion;
import io.mcp.core.spi.NodeRecord;
import io.mcp.core.tracing.McpTracing;
import io.mcp.grpc.proto.ConfigRequest;
import io.mcp.grpc.proto.ControlPlaneGrpc;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/** Trace context from a gRPC admin call through the rollout to agents on both transports; gRPC call meters. */
class GrpcObservabilityTest {
  static final Duration WAIT = Duration.ofSeconds(10);
  final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    io.mcp.core.Await.until(what, WAIT, condition);
  }

  @Test
  void applyOverGrpc_isOneTraceFromTheCallerToEveryAgent_andCallsAndSessionsAreMetered() throws Exception {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    SdkTracerProvider provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter))
        .build();
    closeables.add(provider);
    OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(provider)
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
    McpMetrics metrics = McpMetrics.create();
    GrpcCallMeters callMeters = new GrpcCallMeters();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    metrics.bindTo(registry);
    callMeters.bindTo(registry);

    Controller controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(GrpcControlPlaneTest.AUTH).telemetry(Telemetry.composite(metrics, McpTracing.create(otel)))
        .build(), new InMemoryConfigStore()).build()).start();
    closeables.add(() -> controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS));
    GrpcControlPlaneServer grpc = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder()
        .host("127.0.0.1").metrics(callMeters).addInterceptor(GrpcTracing.serverInterceptor(otel)).build()).start();
    closeables.add(() -> grpc.shutdown(Duration.ofSeconds(2)));
    for (boolean overGrpc : new boolean[] {false, true}) {
      AgentOptions.Builder options = AgentOptions.builder(overGrpc ? "grpc-node" : "tcp-node").services("payments")
          .token("agent-token").client(c -> c.telemetry(McpTracing.create(otel)))
          .reconnectPolicy(ReconnectPolicy.builder().initialBackoff(Duration.ofMillis(20)).build())
          .configListener((s, v, c) -> { });
      if (overGrpc) {
        options.transport(GrpcAgentTransport.create(null)).endpoint(new InetSocketAddress("127.0.0.1", grpc.port()));
      } else {
        options.endpoint(new InetSocketAddress("127.0.0.1", controller.port()));
      }
      Agent agent = Agent.create(options.build()).start();
      closeables.add(agent);
    }
    await("two agents", () -> controller.nodes().stream().filter(NodeView::connected).count() == 2);

    ControlPlaneClient admin = ControlPlaneClient.create("127.0.0.1", grpc.port(), "admin-token", null, WAIT);
    closeables.add(admin);
    ControlPlaneGrpc.ControlPlaneBlockingStub stub = admin.blocking()
        .withInterceptors(GrpcTracing.clientInterceptor(otel));
    Span caller = otel.getTracer("mcpctl").spanBuilder("mcpctl apply").setSpanKind(SpanKind.CLIENT).startSpan();
    long version;
    try (Scope ignored = caller.makeCurrent()) {
      version = stub.applyConfiguration(ConfigRequest.newBuilder().setServiceName("payments")
          .setConfigData(ByteString.copyFromUtf8("limit=5")).build()).getVersion();
    } finally {
      caller.end();
    }
    assertThat(controller.awaitRollout("payments", version, RolloutCondition.all(), WAIT).acked())
        .containsExactlyInAnyOrder("grpc-node", "tcp-node");
    // caller + server call + rollout + 2 pushes + 2 agent applies
    await("all spans ended", () -> exporter.getFinishedSpanItems().size() == 7);

    List<SpanData> spans = exporter.getFinishedSpanItems();
    String traceId = caller.getSpanContext().getTraceId();
    assertThat(spans).extracting(SpanData::getTraceId).containsOnly(traceId);
    SpanData server = one(spans, ControlPlaneGrpc.getApplyConfigurationMethod().getFullMethodName());
    assertThat(server.getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(server.getParentSpanId()).isEqualTo(caller.getSpanContext().getSpanId());
    SpanData rollout = one(spans, "mcp.rollout");
    assertThat(rollout.getParentSpanId()).isEqualTo(server.getSpanId());
    assertThat(spans.stream().filter(s -> s.getName().equals("mcp.agent.apply")))
        .hasSize(2).allSatisfy(s -> assertThat(s.getParentSpanId()).isEqualTo(rollout.getSpanId()));

    assertThat(registry.get("mcp.grpc.server.calls")
        .tags("method", ControlPlaneGrpc.getApplyConfigurationMethod().getFullMethodName(), "code", Status.Code.OK.name())
        .timer().count()).isEqualTo(1);
    assertThat(registry.get("mcp.sessions").tags("state", "ready", "transport", "tcp").gauge().value()).isEqualTo(1);
    assertThat(registry.get("mcp.sessions").tags("state", "ready", "transport", "grpc").gauge().value()).isEqualTo(1);
  }

  static SpanData one(List<SpanData> spans, String name) {
    List<SpanData> found = spans.stream().filter(s -> s.getName().equals(name)).toList();
    assertThat(found).as(name).hasSize(1);
    return found.get(0);
  }

  /** An in-memory store whose appends fail, so an apply ends in INTERNAL. */
  static ConfigStore failingAppends() {
    InMemoryConfigStore store = new InMemoryConfigStore();
    return new ConfigStore() {
      @Override
      public ConfigVersion append(String service, byte[] data) {
        throw new IllegalStateException("disk on fire");
      }

      @Override
      public Optional<ConfigVersion> latest(String service) {
        return store.latest(service);
      }

      @Override
      public Optional<ConfigVersion> get(String service, long version) {
        return store.get(service, version);
      }

      @Override
      public List<ConfigVersion> history(String service, int limit) {
        return store.history(service, limit);
      }

      @Override
      public List<String> services() {
        return store.services();
      }

      @Override
      public void recordApplied(String nodeId, String service, long version) {
        store.recordApplied(nodeId, service, version);
      }

      @Override
      public void recordRejected(String nodeId, String service, long version, String reason) {
        store.recordRejected(nodeId, service, version, reason);
      }

      @Override
      public NodeRecord nodeRecord(String nodeId, String service) {
        return store.nodeRecord(nodeId, service);
      }

      @Override
      public AutoCloseable watch(java.util.function.Consumer<ConfigVersion> listener) {
        return store.watch(listener);
      }

      @Override
      public void close() {
        store.close();
      }
    };
  }

  @Test
  void failingCall_itsLogLineCarriesTheCallIdPeerAndTraceIdInTheMdc() throws Exception {
    Controller controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(GrpcControlPlaneTest.AUTH).build(), failingAppends()).build()).start();
    closeables.add(() -> controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS));
    GrpcControlPlaneServer grpc = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder()
        .host("127.0.0.1").build()).start();
    closeables.add(() -> grpc.shutdown(Duration.ofSeconds(2)));
    ControlPlaneClient admin = ControlPlaneClient.create("127.0.0.1", grpc.port(), "admin-token", null, WAIT);
    closeables.add(admin);
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), "00-" + traceId + "-00f067aa0ba902b7-01");
    String method = ControlPlaneGrpc.getApplyConfigurationMethod().getFullMethodName();

    assertThatThrownBy(() -> admin.blocking().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .applyConfiguration(ConfigRequest.newBuilder().setServiceName("payments")
            .setConfigData(ByteString.copyFromUtf8("x")).build()))
        .hasMessage("INTERNAL: internal error");

    await("the call's log line", () -> callLines(method).size() == 1);
    CapturingLogProvider.Line line = callLines(method).get(0);
    assertThat(line.level()).isEqualTo(Level.WARN);
    assertThat(line.message()).startsWith(method + " -> INTERNAL internal error in ");
    assertThat(line.mdc().get("mcp.trace")).isEqualTo(traceId);
    assertThat(line.mdc().get("mcp.call")).matches("[0-9a-f]{1,16}");
    assertThat(line.mdc().get("mcp.peer")).contains("127.0.0.1");
  }

  /** Lines of the gRPC call log about {@code method} that carry this test's trace id. */
  static List<CapturingLogProvider.Line> callLines(String method) {
    return CapturingLogProvider.lines().stream()
        .filter(l -> l.logger().equals("io.mcp.grpc.calls") && l.message().startsWith(method + " -> "))
        .filter(l -> "4bf92f3577b34da6a3ce929d0e0e4736".equals(l.mdc().get("mcp.trace")))
        .toList();
  }
}
