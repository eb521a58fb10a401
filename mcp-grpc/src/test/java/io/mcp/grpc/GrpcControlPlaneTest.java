package io.mcp.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.mcp.core.Agent;
import io.mcp.core.AgentOptions;
import io.mcp.core.ClientOptions;
import io.mcp.core.ConfigListener;
import io.mcp.core.ControlMessages;
import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.Identity;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.McpClient;
import io.mcp.core.NodeView;
import io.mcp.core.ReconnectPolicy;
import io.mcp.core.ServerOptions;
import io.mcp.core.Session;
import io.mcp.core.proto.Health;
import io.mcp.core.proto.StatusReport;
import io.mcp.core.spi.AuthenticationException;
import io.mcp.core.spi.Authenticator;
import io.mcp.grpc.proto.ConfigRequest;
import io.mcp.grpc.proto.ConfigResponse;
import io.mcp.grpc.proto.Configuration;
import io.mcp.grpc.proto.GetConfigurationRequest;
import io.mcp.grpc.proto.ListNodesRequest;
import io.mcp.grpc.proto.ListVersionsRequest;
import io.mcp.grpc.proto.NodeInfo;
import io.mcp.grpc.proto.RollbackRequest;
import io.mcp.grpc.proto.StatusUpdate;
import io.mcp.grpc.proto.StreamRequest;
import io.mcp.grpc.proto.WaitCondition;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The ControlPlane gRPC API and agents over gRPC, on real loopback sockets. */
class GrpcControlPlaneTest {
  static final Duration WAIT = Duration.ofSeconds(10);
  static final Authenticator AUTH = request -> switch (request.token()) {
    case "admin-token" -> Identity.of("ops", Set.of("admin"), Set.of());
    case "agent-token" -> Identity.of(request.nodeId().isEmpty() ? "agent" : request.nodeId(), Set.of("agent"), Set.of());
    default -> throw new AuthenticationException("invalid token");
  };

  Controller controller;
  GrpcControlPlaneServer grpc;
  ControlPlaneClient admin;
  final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void start() {
    controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(AUTH).build(), new InMemoryConfigStore()).build()).start();
    grpc = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder().host("127.0.0.1")
        .statusStream(16, Duration.ofMillis(500)).build()).start();
    admin = client("admin-token");
  }

  ControlPlaneClient client(String token) {
    ControlPlaneClient client = ControlPlaneClient.create("127.0.0.1", grpc.port(), token, null, WAIT);
    closeables.add(client);
    return client;
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    grpc.shutdown(Duration.ofSeconds(2));
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
  }

  Agent agent(String nodeId, boolean overGrpc, List<String> applied) {
    return agent(nodeId, overGrpc,
        (s, v, c) -> applied.add(nodeId + "@" + v + "=" + StandardCharsets.UTF_8.decode(c)));
  }

  Agent agent(String nodeId, boolean overGrpc, ConfigListener listener) {
    AgentOptions.Builder options = AgentOptions.builder(nodeId).services("payments").token("agent-token")
        .reconnectPolicy(ReconnectPolicy.builder().initialBackoff(Duration.ofMillis(20)).build())
        // The shortest heartbeat the server allows, so an RTT sample comes within a second.
        .client(c -> c.heartbeatInterval(Duration.ofSeconds(1)))
        .configListener(listener);
    if (overGrpc) {
      options.transport(GrpcAgentTransport.create(null)).endpoint(new InetSocketAddress("127.0.0.1", grpc.port()));
    } else {
      options.endpoint(new InetSocketAddress("127.0.0.1", controller.port()));
    }
    Agent agent = Agent.create(options.build()).start();
    closeables.add(agent);
    return agent;
  }

  void awaitConnected(int count) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (controller.nodes().stream().filter(n -> n.connected()).count() < count && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(controller.nodes().stream().filter(n -> n.connected()).count()).isEqualTo(count);
  }

  static ConfigRequest.Builder apply(String service, String data) {
    return ConfigRequest.newBuilder().setServiceName(service).setConfigData(ByteString.copyFromUtf8(data));
  }

  @Test
  void agentsOnGrpcAndTcp_bothReceiveTheApply_andBothAcksCount() throws Exception {
    List<String> applied = new CopyOnWriteArrayList<>();
    agent("tcp-node", false, applied);
    Agent overGrpc = agent("grpc-node", true, applied);
    awaitConnected(2);

    ConfigResponse response = admin.blocking().applyConfiguration(apply("payments", "limit=5")
        .setWait(WaitCondition.newBuilder().setKind(WaitCondition.Kind.ALL)).build());

    assertThat(response.getVersion()).isEqualTo(1);
    assertThat(response.getRollout().getSatisfied()).isTrue();
    assertThat(response.getRollout().getAckedList()).containsExactlyInAnyOrder("tcp-node", "grpc-node");
    assertThat(applied).containsExactlyInAnyOrder("tcp-node@1=limit=5", "grpc-node@1=limit=5");
    List<NodeInfo> nodes = admin.blocking().listNodes(ListNodesRequest.getDefaultInstance()).getNodesList();
    assertThat(nodes).extracting(NodeInfo::getNodeId, NodeInfo::getTransport)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("grpc-node", "grpc"),
            org.assertj.core.groups.Tuple.tuple("tcp-node", "tcp"));
    // Heartbeats cross the gRPC relay: whichever end of the session is idle for an interval first
    // pings, and the PONG gives it an RTT sample (the other end, which answered, has none yet).
    Session agentSide = overGrpc.session().orElseThrow();
    java.util.function.Supplier<java.util.Optional<Duration>> rtt = () -> agentSide.lastRtt().or(() ->
        controller.nodes().stream().filter(n -> n.nodeId().equals("grpc-node")).findFirst().flatMap(NodeView::rtt));
    await("an RTT sample on the gRPC session", () -> rtt.get().isPresent());
    assertThat(rtt.get().orElseThrow()).isPositive();
  }

  @Test
  void applyWithWait_nodeWhoseListenerRejects_reportedAsRejectedWithItsReason() throws Exception {
    List<String> applied = new CopyOnWriteArrayList<>();
    agent("good-node", false, applied);
    agent("bad-node", true, (s, v, c) -> {
      throw new IllegalArgumentException("limit must be a number");
    });
    awaitConnected(2);

    ConfigResponse response = admin.blocking().applyConfiguration(apply("payments", "limit=x")
        .setWait(WaitCondition.newBuilder().setKind(WaitCondition.Kind.ALL)).build());

    assertThat(response.getRollout().getSatisfied()).isFalse();
    assertThat(response.getRollout().getAckedList()).containsExactly("good-node");
    assertThat(response.getRollout().getRejectedMap()).containsOnlyKeys("bad-node");
    assertThat(response.getRollout().getRejectedMap().get("bad-node")).contains("limit must be a number");
    assertThat(response.getRollout().getTimedOutList()).isEmpty();
    // The waiter is answered by the last ACK or NACK; the rollout thread marks the wave done after.
    assertThat(response.getRollout().getOutcome()).matches("(running|complete)(: .*)?");
    assertThat(applied).containsExactly("good-node@1=limit=x");
  }

  @Test
  void streamStatusForOneNode_carriesOnlyThatNodesEvents() throws Exception {
    agent("node-1", false, new CopyOnWriteArrayList<>());
    agent("node-2", true, new CopyOnWriteArrayList<>());
    awaitConnected(2);
    LinkedBlockingQueue<StatusUpdate> updates = new LinkedBlockingQueue<>();
    io.grpc.Context.CancellableContext context = streamInto(StreamRequest.newBuilder().setNodeId("node-2").build(), updates);
    closeables.add(() -> context.cancel(null));
    List<StatusUpdate> seen = new ArrayList<>();
    seen.add(updates.poll(10, TimeUnit.SECONDS));
    seen.add(updates.poll(10, TimeUnit.SECONDS));
    assertThat(seen).extracting(StatusUpdate::getKind)
        .containsExactly(StatusUpdate.Kind.SNAPSHOT, StatusUpdate.Kind.SNAPSHOT_END);

    // Both nodes apply two versions; node-1's events of version 1 are emitted before node-2's of
    // version 2 (the second apply starts once both acked the first), so they had their chance.
    for (String data : new String[] {"one", "two"}) {
      ConfigResponse response = admin.blocking().applyConfiguration(apply("payments", data)
          .setWait(WaitCondition.newBuilder().setKind(WaitCondition.Kind.ALL)).build());
      assertThat(response.getRollout().getAckedList()).containsExactlyInAnyOrder("node-1", "node-2");
    }
    StatusUpdate update;
    do {
      update = updates.poll(10, TimeUnit.SECONDS);
      seen.add(update);
    } while (update != null && !(update.getKind() == StatusUpdate.Kind.APPLIED && update.getVersion() == 2));

    assertThat(update).as("node-2 applied version 2").isNotNull();
    assertThat(seen).filteredOn(StatusUpdate::hasNode).isNotEmpty()
        .allSatisfy(u -> assertThat(u.getNode().getNodeId()).isEqualTo("node-2"));
  }

  @Test
  void rollbackWithWait_answersWithTheRolloutOfTheNewVersion() throws Exception {
    List<String> applied = new CopyOnWriteArrayList<>();
    agent("tcp-node", false, applied);
    agent("grpc-node", true, applied);
    awaitConnected(2);
    admin.apply("payments", "one".getBytes(StandardCharsets.UTF_8));
    admin.apply("payments", "two".getBytes(StandardCharsets.UTF_8));

    ConfigResponse back = admin.blocking().rollback(RollbackRequest.newBuilder().setServiceName("payments")
        .setToVersion(1).setWait(WaitCondition.newBuilder().setKind(WaitCondition.Kind.ALL)).build());

    assertThat(back.getVersion()).isEqualTo(3);
    assertThat(back.getRollout().getSatisfied()).isTrue();
    assertThat(back.getRollout().getAckedList()).containsExactlyInAnyOrder("tcp-node", "grpc-node");
    assertThat(applied).contains("tcp-node@3=one", "grpc-node@3=one");
  }

  @Test
  void getListRollback_allWork() {
    admin.apply("payments", "one".getBytes(StandardCharsets.UTF_8));
    admin.apply("payments", "two".getBytes(StandardCharsets.UTF_8));

    ConfigResponse back = admin.blocking().rollback(RollbackRequest.newBuilder().setServiceName("payments")
        .setToVersion(1).build());
    Configuration latest = admin.blocking().getConfiguration(GetConfigurationRequest.newBuilder()
        .setServiceName("payments").build());
    Configuration first = admin.blocking().getConfiguration(GetConfigurationRequest.newBuilder()
        .setServiceName("payments").setVersion(1).build());

    assertThat(back.getVersion()).isEqualTo(3);
    assertThat(latest.getVersion()).isEqualTo(3);
    assertThat(latest.getConfigData().toStringUtf8()).isEqualTo("one");
    assertThat(first.getConfigData().toStringUtf8()).isEqualTo("one");
    assertThat(admin.blocking().listVersions(ListVersionsRequest.newBuilder().setServiceName("payments").build())
        .getVersionsList()).extracting(Configuration::getVersion).containsExactly(3L, 2L, 1L);
    assertThatThrownBy(() -> admin.blocking().getConfiguration(GetConfigurationRequest.newBuilder()
        .setServiceName("payments").setVersion(9).build()))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessage("NOT_FOUND: version 9 of payments is not in the history");
  }

  @Test
  void retriedApply_withTheSameRequestId_landsOnce() {
    ConfigRequest request = apply("payments", "x").setRequestId("req-42").build();

    ConfigResponse first = admin.blocking().applyConfiguration(request);
    ConfigResponse retry = admin.blocking().applyConfiguration(request);

    assertThat(retry.getVersion()).isEqualTo(first.getVersion());
    assertThat(retry.getReplayed()).isTrue();
    assertThat(controller.history("payments", 10)).hasSize(1);
    assertThatThrownBy(() -> admin.blocking().applyConfiguration(apply("payments", "other").setRequestId("req-42").build()))
        .hasMessageStartingWith("INVALID_ARGUMENT: request_id was already used for a different request");
  }

  @Test
  void credentials_missingInvalidOrNotAdmin_refusedWithTheRightStatus() {
    assertThatThrownBy(() -> client("").blocking().listNodes(ListNodesRequest.getDefaultInstance()))
        .hasMessage("UNAUTHENTICATED: missing bearer token");
    assertThatThrownBy(() -> client("guess").blocking().listNodes(ListNodesRequest.getDefaultInstance()))
        .hasMessage("UNAUTHENTICATED: invalid token");
    assertThatThrownBy(() -> client("agent-token").blocking().applyConfiguration(apply("payments", "x").build()))
        .hasMessage("PERMISSION_DENIED: identity agent lacks role admin for ApplyConfiguration");
    assertThat(client("agent-token").blocking().listNodes(ListNodesRequest.getDefaultInstance()).getNodesCount()).isZero();
    assertThat(controller.history("payments", 10)).isEmpty();
  }

  @Test
  void invalidRequests_invalidArgumentNamingTheField() {
    assertThatThrownBy(() -> admin.blocking().applyConfiguration(apply("", "x").build()))
        .hasMessage("INVALID_ARGUMENT: service_name is empty");
    assertThatThrownBy(() -> admin.blocking().applyConfiguration(apply("payments", "x")
        .setWait(WaitCondition.newBuilder().setKind(WaitCondition.Kind.PERCENT).setPercent(150)).build()))
        .hasMessage("INVALID_ARGUMENT: wait.percent 150 outside 1..100");
    assertThatThrownBy(() -> admin.blocking().applyConfiguration(apply("payments", "x").setRolloutPolicy("canary")
        .putRolloutSettings("percent", "0").build()))
        .hasMessage("INVALID_ARGUMENT: rollout_policy: setting percent=0 outside 1..100");
    assertThatThrownBy(() -> admin.blocking().rollback(RollbackRequest.newBuilder().setServiceName("payments").build()))
        .hasMessage("INVALID_ARGUMENT: to_version must be at least 1");
  }

  @Test
  void oversizedMessage_resourceExhausted() {
    byte[] big = new byte[5 * 1024 * 1024];

    assertThatThrownBy(() -> admin.apply("payments", big))
        .isInstanceOf(StatusRuntimeException.class)
        .extracting(e -> ((StatusRuntimeException) e).getStatus().getCode())
        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(controller.history("payments", 10)).isEmpty();
  }

  /** A ListNodes call carrying one {@code x-padding} header of {@code bytes} characters; its status. */
  static Status listNodesWithHeader(ControlPlaneClient client, int bytes) {
    io.grpc.Metadata padding = new io.grpc.Metadata();
    padding.put(io.grpc.Metadata.Key.of("x-padding", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "x".repeat(bytes));
    try {
      client.blocking().withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(padding))
          .listNodes(ListNodesRequest.getDefaultInstance());
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  /**
   * grpc-java's client refuses, before sending, a header block above the server's advertised
   * SETTINGS_MAX_HEADER_LIST_SIZE (which is maxInboundMetadataBytes): INTERNAL "http2 exception",
   * caused by Netty's HeaderListSizeException naming the limit. (A client that ignores the setting
   * is answered by the server itself: ConnectionLimitsTest.)
   */
  static void assertHeaderListTooLarge(Status status, int limit) {
    assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(status.getDescription()).isEqualTo("http2 exception");
    assertThat(status.getCause()).hasMessage("Header size exceeded max allowed size (" + limit + ")");
  }

  @Test
  void metadataUnderTheDefault8KiB_accepted_above_refused_andTheServerKeepsServing() {
    assertThat(listNodesWithHeader(admin, 7 * 1024).getCode()).isEqualTo(Status.Code.OK);
    assertHeaderListTooLarge(listNodesWithHeader(admin, 10 * 1024), 8192);
    assertThat(listNodesWithHeader(admin, 0).getCode()).as("the connection still serves").isEqualTo(Status.Code.OK);
  }

  @Test
  void maxInboundMetadataBytes_appliedToTheServer() {
    GrpcControlPlaneServer small = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder()
        .host("127.0.0.1").maxInboundMetadataBytes(4 * 1024).build()).start();
    try (ControlPlaneClient client = ControlPlaneClient.create("127.0.0.1", small.port(), "admin-token", null, WAIT)) {
      assertThat(listNodesWithHeader(client, 3 * 1024).getCode()).isEqualTo(Status.Code.OK);
      assertHeaderListTooLarge(listNodesWithHeader(client, 5 * 1024), 4096);
      assertThat(listNodesWithHeader(admin, 5 * 1024).getCode()).as("the default server takes it")
          .isEqualTo(Status.Code.OK);
    } finally {
      small.shutdown(Duration.ofSeconds(2));
    }
  }

  @Test
  void deadline_passedBeforeTheAnswer_deadlineExceeded() {
    assertThatThrownBy(() -> admin.blocking().withDeadlineAfter(1, TimeUnit.NANOSECONDS)
        .listNodes(ListNodesRequest.getDefaultInstance()))
        .extracting(e -> ((StatusRuntimeException) e).getStatus().getCode())
        .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
  }

  @Test
  void waitingApply_answersBeforeTheDeadlineWithTheSilentNodes() throws Exception {
    McpClient silent = McpClient.create(ClientOptions.builder("silent").serviceName("payments").token("agent-token").build());
    closeables.add(silent);
    silent.connect(new InetSocketAddress("127.0.0.1", controller.port())).get(10, TimeUnit.SECONDS);
    awaitConnected(1);

    ConfigResponse response = admin.blocking().withDeadlineAfter(800, TimeUnit.MILLISECONDS)
        .applyConfiguration(apply("payments", "x").setWait(WaitCondition.newBuilder().setKind(WaitCondition.Kind.ALL)).build());

    assertThat(response.getRollout().getSatisfied()).isFalse();
    assertThat(response.getRollout().getTimedOutList()).containsExactly("silent");
  }

  @Test
  void streamStatus_snapshotThenEvents_andCancellationReleasesTheSubscription() throws Exception {
    List<String> applied = new CopyOnWriteArrayList<>();
    agent("node-1", false, applied);
    awaitConnected(1);
    LinkedBlockingQueue<StatusUpdate> updates = new LinkedBlockingQueue<>();
    io.grpc.Context.CancellableContext context =
        streamInto(StreamRequest.newBuilder().setServiceName("payments").build(), updates);

    assertThat(updates.poll(10, TimeUnit.SECONDS).getKind()).isEqualTo(StatusUpdate.Kind.SNAPSHOT);
    assertThat(updates.poll(10, TimeUnit.SECONDS).getKind()).isEqualTo(StatusUpdate.Kind.SNAPSHOT_END);
    admin.apply("payments", "v".getBytes(StandardCharsets.UTF_8));
    StatusUpdate event;
    do {
      event = updates.poll(10, TimeUnit.SECONDS);
    } while (event != null && event.getKind() != StatusUpdate.Kind.APPLIED);
    assertThat(event.getNode().getNodeId()).isEqualTo("node-1");
    assertThat(event.getSequence()).isGreaterThan(2);
    int subscriptions = controller.subscriptionCount();

    context.cancel(null);

    long deadline = System.nanoTime() + WAIT.toNanos();
    while (controller.subscriptionCount() >= subscriptions && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(controller.subscriptionCount()).isEqualTo(subscriptions - 1);
  }

  @Test
  void streamStatusReaderThatNeverReads_serverGivesUp_readerLaterGetsLaggedThenResourceExhausted() throws Exception {
    List<StatusUpdate> received = new CopyOnWriteArrayList<>();
    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    AtomicReference<ClientCallStreamObserver<StreamRequest>> reader = new AtomicReference<>();
    int subscriptionsBefore = controller.subscriptionCount();
    // A fixed 64 KiB window (an explicit window turns off gRPC's automatic window growth).
    io.grpc.ManagedChannel small = io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", grpc.port())
        .usePlaintext().flowControlWindow(64 * 1024).build();
    closeables.add(() -> small.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    io.mcp.grpc.proto.ControlPlaneGrpc.newStub(small).withCallCredentials(new ControlPlaneClient.BearerToken("admin-token"))
        .streamStatus(StreamRequest.getDefaultInstance(), new ClientResponseObserver<StreamRequest, StatusUpdate>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<StreamRequest> requests) {
        requests.disableAutoRequestWithInitial(0); // asks for no message until told to
        reader.set(requests);
      }

      @Override
      public void onNext(StatusUpdate value) {
        received.add(value);
      }

      @Override
      public void onError(Throwable t) {
        ended.complete(t);
      }

      @Override
      public void onCompleted() {
        ended.complete(new AssertionError("completed normally"));
      }
    });
    await("the stream's subscription", () -> controller.subscriptionCount() == subscriptionsBefore + 1);
    McpClient noisy = McpClient.create(ClientOptions.builder("noisy").serviceName("payments").token("agent-token").build());
    closeables.add(noisy);
    Session session = noisy.connect(new InetSocketAddress("127.0.0.1", controller.port())).get(10, TimeUnit.SECONDS);
    // Each event carries a 64-entry metrics map (about 2 KB), so the HTTP/2 windows fill quickly.
    StatusReport.Builder report = StatusReport.newBuilder();
    for (int m = 0; m < 64; m++) {
      report.putMetrics("metric_number_" + m, m);
    }
    byte[] healthy = report.setHealth(Health.HEALTHY).build().toByteArray();
    byte[] degraded = report.setHealth(Health.DEGRADED).build().toByteArray();

    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    for (int i = 0; controller.subscriptionCount() > subscriptionsBefore && System.nanoTime() < deadline; i++) {
      var sent = session.send(ControlMessages.STATUS, ByteBuffer.wrap(i % 2 == 0 ? degraded : healthy));
      if (i % 100 == 0) {
        sent.get(10, TimeUnit.SECONDS);
      }
    }
    // The server gave up on the reader and released its subscription: its memory for the call is
    // bounded (queue + coalesced + what HTTP/2 flow control lets through).
    assertThat(controller.subscriptionCount()).as("subscription released").isEqualTo(subscriptionsBefore);

    reader.get().request(Integer.MAX_VALUE); // the reader wakes up and reads what was sent to it
    Throwable end = ended.get(10, TimeUnit.SECONDS);

    assertThat(end).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(e.getStatus().getDescription())
          .startsWith("status reader read nothing for 500 ms (statusLagTimeout) while ")
          .endsWith(" updates were waiting (statusQueueLimit 16); they were dropped");
    });
    assertThat(received).first().extracting(StatusUpdate::getKind).isEqualTo(StatusUpdate.Kind.SNAPSHOT_END);
    assertThat(received).extracting(StatusUpdate::getSequence).as("nothing written was lost on the way")
        .isEqualTo(java.util.stream.LongStream.rangeClosed(1, received.size()).boxed().toList());
    assertThat(received).filteredOn(u -> u.getKind() == StatusUpdate.Kind.HEALTH_CHANGED).isNotEmpty();
    StatusUpdate last = received.get(received.size() - 1);
    assertThat(last.getKind()).as("the last update says how many were dropped").isEqualTo(StatusUpdate.Kind.LAGGED);
    assertThat(Long.parseLong(last.getDetail())).isPositive();
    assertThat(end.getMessage()).contains("while " + last.getDetail() + " updates were waiting");
  }

  static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(condition.getAsBoolean()).as(what).isTrue();
  }

  @Test
  void maxConcurrentCallsPerConnection_extraCallsWait_otherConnectionsDoNot() throws Exception {
    GrpcControlPlaneServer limited = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder()
        .host("127.0.0.1").maxConcurrentCallsPerConnection(1).build()).start();
    try (ControlPlaneClient one = ControlPlaneClient.create("127.0.0.1", limited.port(), "admin-token", null, WAIT);
        ControlPlaneClient other = ControlPlaneClient.create("127.0.0.1", limited.port(), "admin-token", null, WAIT)) {
      LinkedBlockingQueue<StatusUpdate> updates = new LinkedBlockingQueue<>();
      io.grpc.Context.CancellableContext stream = streamInto(one, StreamRequest.getDefaultInstance(), updates);
      assertThat(updates.poll(10, TimeUnit.SECONDS).getKind()).isEqualTo(StatusUpdate.Kind.SNAPSHOT_END);

      // The connection's only stream is taken: a second call on it waits until its deadline.
      assertThatThrownBy(() -> one.blocking().withDeadlineAfter(500, TimeUnit.MILLISECONDS)
          .listNodes(ListNodesRequest.getDefaultInstance()))
          .extracting(e -> ((StatusRuntimeException) e).getStatus().getCode())
          .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
      // Another connection is not affected.
      assertThat(other.blocking().listNodes(ListNodesRequest.getDefaultInstance()).getNodesCount()).isZero();
      stream.cancel(null);
    } finally {
      limited.shutdown(Duration.ofSeconds(2));
    }
  }

  @Test
  void health_servingForTheControlPlane() {
    HealthCheckResponse response = HealthGrpc.newBlockingStub(admin.channel()).check(HealthCheckRequest.newBuilder()
        .setService("mcp.controlplane.v1.ControlPlane").build());

    assertThat(response.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void reflection_listsTheControlPlaneAndHealthServices() throws Exception {
    CompletableFuture<List<String>> services = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(admin.channel())
        .serverReflectionInfo(new StreamObserver<ServerReflectionResponse>() {
          @Override
          public void onNext(ServerReflectionResponse response) {
            services.complete(response.getListServicesResponse().getServiceList().stream()
                .map(ServiceResponse::getName).toList());
          }

          @Override
          public void onError(Throwable t) {
            services.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
    requests.onCompleted();

    assertThat(services.get(10, TimeUnit.SECONDS))
        .contains("mcp.controlplane.v1.ControlPlane", "grpc.health.v1.Health");
  }

  /** The name of a thread of {@code group}'s. */
  static String threadOf(io.netty.channel.EventLoopGroup group) throws Exception {
    return group.next().submit(() -> Thread.currentThread().getName()).get(10, TimeUnit.SECONDS);
  }

  @Test
  void byDefault_theGrpcServerRunsOnTheMcpServersEventLoops_andItsShutdownLeavesThemRunning() throws Exception {
    GrpcControlPlaneServer shared = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder()
        .host("127.0.0.1").build()).start();
    try (ControlPlaneClient client = ControlPlaneClient.create("127.0.0.1", shared.port(), "admin-token", null, WAIT)) {
      assertThat(shared.eventLoopGroup()).isSameAs(controller.server().eventLoopGroup());
      assertThat(threadOf(shared.eventLoopGroup())).startsWith("mcp-server-");
      assertThat(client.blocking().listNodes(ListNodesRequest.getDefaultInstance()).getNodesCount()).isZero();
    } finally {
      shared.shutdown(Duration.ofSeconds(2));
    }
    assertThat(controller.server().eventLoopGroup().isShuttingDown()).isFalse();
    assertThat(admin.blocking().listNodes(ListNodesRequest.getDefaultInstance()).getNodesCount())
        .as("the other gRPC server on the same loops still serves").isZero();
  }

  @Test
  void shareEventLoopsFalse_ownEventLoops_servesCallsAndAgents_andShutsThemDown() throws Exception {
    GrpcControlPlaneServer own = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder()
        .host("127.0.0.1").shareEventLoops(false).build()).start();
    io.netty.channel.EventLoopGroup group = own.eventLoopGroup();
    try (ControlPlaneClient client = ControlPlaneClient.create("127.0.0.1", own.port(), "admin-token", null, WAIT)) {
      assertThat(group).isNotSameAs(controller.server().eventLoopGroup());
      assertThat(threadOf(group)).startsWith("mcp-grpc-");
      Agent agent = Agent.create(AgentOptions.builder("own-loops-node").services("payments").token("agent-token")
          .configListener((s, v, c) -> { }).transport(GrpcAgentTransport.create(null))
          .endpoint(new InetSocketAddress("127.0.0.1", own.port())).build()).start();
      closeables.add(agent);
      awaitConnected(1);
      assertThat(client.blocking().listNodes(ListNodesRequest.getDefaultInstance()).getNodesList())
          .extracting(NodeInfo::getNodeId, NodeInfo::getTransport)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("own-loops-node", "grpc"));
      agent.close();
    } finally {
      own.shutdown(Duration.ofSeconds(2));
    }
    assertThat(group.awaitTermination(10, TimeUnit.SECONDS)).as("its own loops end with it").isTrue();
    assertThat(controller.server().eventLoopGroup().isShuttingDown()).isFalse();
  }

  private io.grpc.Context.CancellableContext streamInto(StreamRequest request,
      java.util.Collection<StatusUpdate> updates) {
    return streamInto(admin, request, updates);
  }

  /** Starts StreamStatus for {@code request} on {@code client}, adding every update to {@code updates}; cancel the context to end it. */
  private static io.grpc.Context.CancellableContext streamInto(ControlPlaneClient client, StreamRequest request,
      java.util.Collection<StatusUpdate> updates) {
    io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
    context.run(() -> client.streaming().streamStatus(request, new StreamObserver<>() {
      @Override
      public void onNext(StatusUpdate value) {
        updates.add(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    }));
    return context;
  }
}
