package io.mcp.grpc;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.mcp.codec.McpException;
import io.mcp.core.Controller;
import io.mcp.core.FleetEvent;
import io.mcp.core.McpServer;
import io.mcp.core.NodeView;
import io.mcp.core.RolloutCondition;
import io.mcp.core.RolloutResult;
import io.mcp.core.Subscription;
import io.mcp.core.spi.ConfigVersion;
import io.mcp.core.spi.Registries;
import io.mcp.core.spi.RolloutPolicy;
import io.mcp.grpc.internal.FrameRelay;
import io.mcp.grpc.internal.Protos;
import io.mcp.grpc.internal.StatusStreamer;
import io.mcp.grpc.internal.UpdateCache;
import io.mcp.grpc.proto.ConfigRequest;
import io.mcp.grpc.proto.ConfigResponse;
import io.mcp.grpc.proto.Configuration;
import io.mcp.grpc.proto.ControlPlaneGrpc;
import io.mcp.grpc.proto.Frame;
import io.mcp.grpc.proto.GetConfigurationRequest;
import io.mcp.grpc.proto.ListNodesRequest;
import io.mcp.grpc.proto.ListNodesResponse;
import io.mcp.grpc.proto.ListVersionsRequest;
import io.mcp.grpc.proto.ListVersionsResponse;
import io.mcp.grpc.proto.RollbackRequest;
import io.mcp.grpc.proto.StatusUpdate;
import io.mcp.grpc.proto.StreamRequest;
import io.mcp.grpc.proto.WaitCondition;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ControlPlane gRPC service, backed by a {@link Controller}: the admin API and the gRPC transport
 * for agents ({@code Connect}, whose sessions join the controller's MCP/1 server exactly like TCP
 * sessions).
 *
 * <p>Requests are validated (INVALID_ARGUMENT naming the field); a wait for a rollout ends in time
 * to answer before the call's deadline. {@code ApplyConfiguration} and {@code Rollback} are
 * idempotent per {@code request_id}. Thread-safe.
 */
public final class ControlPlaneService extends ControlPlaneGrpc.ControlPlaneImplBase {
  private static final Logger log = LoggerFactory.getLogger(ControlPlaneService.class);
  static final int MAX_SERVICE_NAME = 256;
  static final int MAX_REQUEST_ID = 128;
  /** Answers a waiting apply this long before the call's deadline, so the summary arrives in time. */
  static final long DEADLINE_MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final Controller controller;
  private final EventLoopGroup localGroup;
  private final ScheduledExecutorService timer;
  private final IdempotencyCache idempotency;
  private final int statusQueueLimit;
  /** One protobuf conversion per fleet event, shared by every StreamStatus subscriber. */
  private final UpdateCache updates = new UpdateCache(1024);
  private final long statusLagTimeoutNanos;
  private final int defaultHistoryLimit;
  /** The open in-VM channels of Connect calls, each relayed to a session of the controller's server. */
  private final Set<Channel> relayChannels = ConcurrentHashMap.newKeySet();

  ControlPlaneService(Controller controller, EventLoopGroup localGroup, ScheduledExecutorService timer,
      IdempotencyCache idempotency, int statusQueueLimit, Duration statusLagTimeout) {
    this.controller = controller;
    this.localGroup = localGroup;
    this.timer = timer;
    this.idempotency = idempotency;
    this.statusQueueLimit = statusQueueLimit;
    this.statusLagTimeoutNanos = statusLagTimeout.toNanos();
    this.defaultHistoryLimit = 100;
  }

  // ------------------------------------------------------------------------------- apply

  @Override
  public void applyConfiguration(ConfigRequest request, StreamObserver<ConfigResponse> response) {
    String service = checkService(request.getServiceName(), "service_name");
    checkRequestId(request.getRequestId());
    RolloutPolicy policy = policy(request);
    RolloutCondition condition = condition(request.getWait());
    byte[] data = request.getConfigData().toByteArray();
    String operation = "apply " + service + " (" + data.length + " bytes, hash " + java.util.Arrays.hashCode(data) + ")";
    respond(response, idempotency.run(request.getRequestId(), operation, () -> {
      long version = policy == null ? controller.apply(service, data) : controller.apply(service, data, policy);
      return ConfigResponse.newBuilder().setVersion(version).build();
    }).thenCompose(applied -> waitFor(service, applied, condition)));
  }

  @Override
  public void rollback(RollbackRequest request, StreamObserver<ConfigResponse> response) {
    String service = checkService(request.getServiceName(), "service_name");
    checkRequestId(request.getRequestId());
    if (request.getToVersion() == 0) {
      throw invalid("to_version must be at least 1");
    }
    if (controller.config(service, request.getToVersion()).isEmpty()) {
      throw Status.NOT_FOUND.withDescription("version " + request.getToVersion() + " of " + service
          + " is not in the history").asRuntimeException();
    }
    RolloutCondition condition = condition(request.getWait());
    respond(response, idempotency.run(request.getRequestId(), "rollback " + service + " to " + request.getToVersion(), () ->
        ConfigResponse.newBuilder().setVersion(controller.rollback(service, request.getToVersion())).build())
        .thenCompose(applied -> waitFor(service, applied, condition)));
  }

  private CompletableFuture<ConfigResponse> waitFor(String service, ConfigResponse applied, RolloutCondition condition) {
    if (condition == null) {
      return CompletableFuture.completedFuture(applied);
    }
    Deadline deadline = Context.current().getDeadline();
    long budget = deadline == null ? TimeUnit.SECONDS.toNanos(30)
        : deadline.timeRemaining(TimeUnit.NANOSECONDS) - DEADLINE_MARGIN_NANOS;
    CompletableFuture<RolloutResult> result = controller.rolloutFuture(service, applied.getVersion(), condition);
    return result
        .completeOnTimeout(null, Math.max(0, budget), TimeUnit.NANOSECONDS)
        .thenApply(r -> {
          RolloutResult outcome = r != null ? r
              : controller.awaitRollout(service, applied.getVersion(), condition, Duration.ZERO);
          return applied.toBuilder().setRollout(Protos.summary(outcome)).build();
        });
  }

  private static RolloutCondition condition(WaitCondition wait) {
    switch (wait.getKind()) {
      case NONE:
      case UNRECOGNIZED:
        return null;
      case ALL:
        return RolloutCondition.all();
      case PERCENT:
        if (wait.getPercent() < 1 || wait.getPercent() > 100) {
          throw invalid("wait.percent " + wait.getPercent() + " outside 1..100");
        }
        return RolloutCondition.percent(wait.getPercent());
      case LABELS:
        if (wait.getLabelsMap().isEmpty()) {
          throw invalid("wait.labels is empty");
        }
        return RolloutCondition.labels(wait.getLabelsMap());
      default:
        throw invalid("wait.kind " + wait.getKind() + " unknown");
    }
  }

  private static RolloutPolicy policy(ConfigRequest request) {
    if (request.getRolloutPolicy().isEmpty()) {
      if (!request.getRolloutSettingsMap().isEmpty()) {
        throw invalid("rollout_settings given without rollout_policy");
      }
      return null;
    }
    try {
      return Registries.rolloutPolicy(request.getRolloutPolicy(), request.getRolloutSettingsMap());
    } catch (IllegalArgumentException e) {
      throw invalid("rollout_policy: " + e.getMessage());
    }
  }

  // ------------------------------------------------------------------------------ queries

  @Override
  public void getConfiguration(GetConfigurationRequest request, StreamObserver<Configuration> response) {
    String service = checkService(request.getServiceName(), "service_name");
    ConfigVersion version = (request.getVersion() == 0 ? controller.config(service)
        : controller.config(service, request.getVersion()))
        .orElseThrow(() -> Status.NOT_FOUND.withDescription(request.getVersion() == 0
            ? "service " + service + " has no configuration"
            : "version " + request.getVersion() + " of " + service + " is not in the history").asRuntimeException());
    response.onNext(Protos.configuration(version, true));
    response.onCompleted();
  }

  @Override
  public void listVersions(ListVersionsRequest request, StreamObserver<ListVersionsResponse> response) {
    String service = checkService(request.getServiceName(), "service_name");
    if (request.getLimit() > 10_000) {
      throw invalid("limit " + request.getLimit() + " exceeds max 10000");
    }
    int limit = request.getLimit() == 0 ? defaultHistoryLimit : request.getLimit();
    ListVersionsResponse.Builder out = ListVersionsResponse.newBuilder();
    for (ConfigVersion version : controller.history(service, limit)) {
      out.addVersions(Protos.configuration(version, request.getIncludeData()));
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void listNodes(ListNodesRequest request, StreamObserver<ListNodesResponse> response) {
    ListNodesResponse.Builder out = ListNodesResponse.newBuilder();
    for (NodeView node : request.getServiceName().isEmpty() ? controller.nodes()
        : controller.nodes(checkService(request.getServiceName(), "service_name"))) {
      out.addNodes(Protos.node(node));
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void streamStatus(StreamRequest request, StreamObserver<StatusUpdate> response) {
    String service = request.getServiceName();
    String node = request.getNodeId();
    if (!service.isEmpty()) {
      checkService(service, "service_name");
    }
    ServerCallStreamObserver<StatusUpdate> call = (ServerCallStreamObserver<StatusUpdate>) response;
    StatusStreamer streamer = new StatusStreamer(call, statusQueueLimit, statusLagTimeoutNanos, timer);
    // Subscribe first, then send the snapshot: an event can repeat the snapshot, never be missed.
    Subscription subscription = controller.subscribe(e -> streamer.offer(updates.update(e)), e -> matches(e, service, node));
    streamer.onDone(subscription::close);
    for (NodeView view : controller.nodes()) {
      if ((service.isEmpty() || view.services().contains(service)) && (node.isEmpty() || view.nodeId().equals(node))) {
        streamer.offer(StatusUpdate.newBuilder().setKind(StatusUpdate.Kind.SNAPSHOT).setNode(Protos.node(view))
            .setTimeUnixMs(System.currentTimeMillis()).build());
      }
    }
    streamer.offer(StatusUpdate.newBuilder().setKind(StatusUpdate.Kind.SNAPSHOT_END)
        .setTimeUnixMs(System.currentTimeMillis()).build());
  }

  private static boolean matches(FleetEvent event, String service, String node) {
    if (event.type() == FleetEvent.Type.LAGGED) {
      return true;
    }
    boolean serviceOk = service.isEmpty() || event.service().equals(service)
        || (event.node() != null && event.node().services().contains(service));
    return serviceOk && (node.isEmpty() || event.nodeId().equals(node));
  }

  // ------------------------------------------------------------------------------ agents

  /** The HTTP/2 peer of a Connect call (address, TLS client chain); set by the authentication interceptor. */
  static final io.grpc.Context.Key<McpServer.RelayedPeer> CONNECT_PEER = io.grpc.Context.key("mcp-connect-peer");

  @Override
  public StreamObserver<Frame> connect(StreamObserver<Frame> response) {
    ServerCallStreamObserver<Frame> call = (ServerCallStreamObserver<Frame>) response;
    call.disableAutoInboundFlowControl();
    ByteOrder order = controller.server().options().byteOrder();
    FrameRelay relay = new FrameRelay(call, order);
    StreamObserver<Frame> inbound = relay.fromGrpc();
    call.setOnCancelHandler(inbound::onCompleted);
    controller.server().connectRelay(localGroup, new io.netty.channel.ChannelInboundHandlerAdapter(), CONNECT_PEER.get())
        .addListener((io.netty.channel.ChannelFutureListener) f -> {
          if (f.isSuccess()) {
            Channel ch = f.channel();
            relayChannels.add(ch);
            ch.closeFuture().addListener(closed -> relayChannels.remove(ch));
            relay.attach(ch);
          } else {
            log.warn("cannot hand a gRPC session to the MCP server: {}", f.cause().toString());
            call.onError(Status.UNAVAILABLE.withDescription("controller not accepting sessions").asRuntimeException());
          }
        });
    return inbound;
  }

  /** The in-VM channels of the Connect calls open now (see {@link GrpcControlPlaneServer#shutdown}). */
  List<Channel> relayChannels() {
    return List.copyOf(relayChannels);
  }

  // ------------------------------------------------------------------------------ helpers

  private static <T> void respond(StreamObserver<T> response, CompletableFuture<T> result) {
    result.whenComplete((value, error) -> {
      if (error == null) {
        response.onNext(value);
        response.onCompleted();
      } else {
        response.onError(toStatus(error));
      }
    });
  }

  static StatusRuntimeException toStatus(Throwable error) {
    Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
        ? error.getCause() : error;
    if (cause instanceof StatusRuntimeException) {
      return (StatusRuntimeException) cause;
    }
    if (cause instanceof McpException) {
      return McpStatus.toStatus((McpException) cause).asRuntimeException();
    }
    if (cause instanceof IllegalArgumentException) {
      return invalid(cause.getMessage());
    }
    log.warn("ControlPlane call failed", cause);
    return Status.INTERNAL.withDescription("internal error").asRuntimeException();
  }

  static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  static String checkService(String service, String field) {
    if (service.isEmpty()) {
      throw invalid(field + " is empty");
    }
    if (service.length() > MAX_SERVICE_NAME) {
      throw invalid(field + " of " + service.length() + " characters exceeds max " + MAX_SERVICE_NAME);
    }
    return service;
  }

  static void checkRequestId(String requestId) {
    if (requestId.length() > MAX_REQUEST_ID) {
      throw invalid("request_id of " + requestId.length() + " characters exceeds max " + MAX_REQUEST_ID);
    }
  }
}
