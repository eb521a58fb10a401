package io.mcp.grpc.internal;

import com.google.protobuf.ByteString;
import io.mcp.core.FleetEvent;
import io.mcp.core.NodeView;
import io.mcp.core.RolloutResult;
import io.mcp.core.spi.ConfigVersion;
import io.mcp.grpc.proto.Configuration;
import io.mcp.grpc.proto.NodeInfo;
import io.mcp.grpc.proto.Rejection;
import io.mcp.grpc.proto.RolloutSummary;
import io.mcp.grpc.proto.StatusUpdate;

/** Conversions between the control plane's Java types and control_plane.proto. */
public final class Protos {
  private Protos() {}

  public static NodeInfo node(NodeView view) {
    NodeInfo.Builder node = NodeInfo.newBuilder()
        .setNodeId(view.nodeId())
        .addAllServices(view.services().stream().sorted().toList())
        .putAllMetadata(view.metadata())
        .setTransport(view.transport())
        .setSessionId(view.sessionId())
        .setConnected(view.connected())
        .setHealth(view.health().name())
        .putAllMetrics(view.metrics())
        .setLastSeenUnixMs(view.lastSeen().toEpochMilli())
        .setRttMicros(view.rtt().map(d -> d.toNanos() / 1_000).orElse(0L));
    view.appliedVersions().forEach(node::putAppliedVersions);
    view.rejections().forEach((service, r) ->
        node.putRejections(service, Rejection.newBuilder().setVersion(r.version()).setReason(r.reason()).build()));
    return node.build();
  }

  public static Configuration configuration(ConfigVersion version, boolean withData) {
    Configuration.Builder out = Configuration.newBuilder()
        .setServiceName(version.service())
        .setVersion(version.version())
        .setCreatedUnixMs(version.createdAt().toEpochMilli());
    if (withData) {
      out.setConfigData(ByteString.copyFrom(version.data()));
    }
    return out.build();
  }

  public static RolloutSummary summary(RolloutResult result) {
    return RolloutSummary.newBuilder()
        .setSatisfied(result.satisfied())
        .addAllAcked(result.acked())
        .putAllRejected(result.rejected())
        .addAllTimedOut(result.timedOut())
        .setOutcome(result.outcome())
        .build();
  }

  public static StatusUpdate.Kind kind(FleetEvent.Type type) {
    return switch (type) {
      case CONNECTED -> StatusUpdate.Kind.CONNECTED;
      case APPLIED -> StatusUpdate.Kind.APPLIED;
      case REJECTED -> StatusUpdate.Kind.REJECTED;
      case HEALTH_CHANGED -> StatusUpdate.Kind.HEALTH_CHANGED;
      case UNHEALTHY -> StatusUpdate.Kind.UNHEALTHY;
      case DISCONNECTED -> StatusUpdate.Kind.DISCONNECTED;
      case LAGGED -> StatusUpdate.Kind.LAGGED;
    };
  }

  /** An update for {@code event}, without a sequence number yet. */
  public static StatusUpdate update(FleetEvent event) {
    StatusUpdate.Builder update = StatusUpdate.newBuilder()
        .setKind(kind(event.type()))
        .setServiceName(event.service())
        .setVersion(event.version())
        .setDetail(event.detail())
        .setTimeUnixMs(event.time().toEpochMilli());
    if (event.node() != null) {
      update.setNode(node(event.node()));
    }
    return update.build();
  }
}
