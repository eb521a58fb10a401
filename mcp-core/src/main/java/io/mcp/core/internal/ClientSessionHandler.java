package io.mcp.core.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.mcp.codec.CloseCode;
import io.mcp.codec.Command;
import io.mcp.codec.McpException;
import io.mcp.core.Identity;
import io.mcp.core.SessionState;
import io.mcp.core.proto.Hello;
import io.mcp.core.proto.Welcome;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The client end: sends Hello once the transport is ready, awaits Welcome. */
public final class ClientSessionHandler extends SessionHandler {
  private final Hello hello;

  public ClientSessionHandler(SessionConfig config, NettySession session, NettyFrameDecoder decoder, Hello hello) {
    super(config, session, decoder);
    this.hello = hello;
  }

  /** Creates the decoder for a client channel. */
  public static NettyFrameDecoder newDecoder(SessionConfig config) {
    return new NettyFrameDecoder(config);
  }

  @Override
  void onTransportReady() {
    writeFrame(Command.HANDSHAKE, hello.toByteArray());
  }

  @Override
  String handshakeTimeoutReason() {
    return "no Welcome within " + TimeUnit.NANOSECONDS.toMillis(config.handshakeTimeoutNanos) + " ms";
  }

  @Override
  void onHandshake(ByteBuf payload) {
    Welcome welcome;
    try {
      welcome = Welcome.parseFrom(payload.nioBuffer());
    } catch (InvalidProtocolBufferException e) {
      throw new McpException(CloseCode.PROTOCOL_ERROR, "malformed Welcome: " + e.getMessage());
    }
    if (welcome.getProtocolVersion() != ServerSessionHandler.PROTOCOL_VERSION) {
      throw new McpException(CloseCode.UNSUPPORTED_VERSION, "server answered protocol version "
          + Integer.toUnsignedLong(welcome.getProtocolVersion()) + " (supported: 1)");
    }
    long intervalMs = Integer.toUnsignedLong(welcome.getHeartbeatIntervalMs());
    if (intervalMs == 0) {
      throw new McpException(CloseCode.PROTOCOL_ERROR, "Welcome.heartbeat_interval_ms is 0");
    }
    Duration interval = Duration.ofMillis(intervalMs);
    session.establish(welcome.getSessionId(), hello.getNodeId(), hello.getServiceName(), hello.getMetadataMap(),
        hello.getAppliedVersionsMap(), Identity.of(welcome.getServerId()), interval);
    decoder.ready();
    startHeartbeat(interval.toNanos());
    session.transition(SessionState.READY, null);
  }

  /** Builds the Hello a client sends. */
  public static Hello hello(String nodeId, String serviceName, String token, long heartbeatIntervalMillis,
      Map<String, Long> appliedVersions, Map<String, String> metadata) {
    return Hello.newBuilder()
        .setProtocolVersion(ServerSessionHandler.PROTOCOL_VERSION)
        .setNodeId(nodeId)
        .setServiceName(serviceName)
        .setToken(token)
        .setHeartbeatIntervalMs((int) Math.min(heartbeatIntervalMillis, 0xFFFF_FFFFL))
        .putAllAppliedVersions(appliedVersions)
        .putAllMetadata(metadata)
        .build();
  }
}
