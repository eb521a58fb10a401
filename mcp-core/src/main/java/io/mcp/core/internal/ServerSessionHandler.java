package io.mcp.core.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.mcp.codec.CloseCode;
import io.mcp.codec.Command;
import io.mcp.codec.McpException;
import io.mcp.core.Identity;
import io.mcp.core.SessionState;
import io.mcp.core.proto.Hello;
import io.mcp.core.proto.Welcome;
import io.mcp.core.spi.AuthenticationRequest;
import io.mcp.core.McpServer;
import io.mcp.core.spi.Authenticator;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslHandler;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The server end: connection limits, Hello validation, authentication, Welcome. */
public final class ServerSessionHandler extends SessionHandler {
  private static final Logger log = LoggerFactory.getLogger(ServerSessionHandler.class);
  static final int PROTOCOL_VERSION = 1;
  static final int MAX_ID_BYTES = 256;

  private final ServerGate gate;
  private final Authenticator authenticator;
  private final String serverId;
  private final LongFunction<Duration> heartbeatNegotiation;
  private final McpServer.RelayedPeer relayed;
  private boolean countedConnection;
  private boolean countedHandshake;

  public ServerSessionHandler(SessionConfig config, NettySession session, NettyFrameDecoder decoder,
      ServerGate gate, Authenticator authenticator, String serverId, LongFunction<Duration> heartbeatNegotiation,
      McpServer.RelayedPeer relayed) {
    super(config, session, decoder);
    this.relayed = relayed;
    this.gate = gate;
    this.authenticator = authenticator;
    this.serverId = serverId;
    this.heartbeatNegotiation = heartbeatNegotiation;
  }

  /** Creates the decoder for a server channel. */
  public static NettyFrameDecoder newDecoder(SessionConfig config) {
    return new NettyFrameDecoder(config);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    countedConnection = true;
    int connections = gate.openConnection();
    countedHandshake = true;
    int pending = gate.startHandshake();
    super.channelActive(ctx);
    if (connections > gate.maxConnections()) {
      closeWith(CloseCode.OVERLOADED, "connection limit " + gate.maxConnections() + " reached");
    } else if (pending > gate.maxPendingHandshakes()) {
      closeWith(CloseCode.OVERLOADED, "pending handshake limit " + gate.maxPendingHandshakes() + " reached");
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    endHandshake();
    if (countedConnection) {
      countedConnection = false;
      gate.closeConnection();
    }
    super.channelInactive(ctx);
  }

  private void endHandshake() {
    if (countedHandshake) {
      countedHandshake = false;
      gate.endHandshake();
    }
  }

  @Override
  void onTransportReady() {
    // The server waits for the client's Hello.
  }

  @Override
  String handshakeTimeoutReason() {
    return "no Hello within " + TimeUnit.NANOSECONDS.toMillis(config.handshakeTimeoutNanos) + " ms";
  }

  @Override
  void onHandshake(ByteBuf payload) {
    Hello hello;
    try {
      hello = Hello.parseFrom(payload.nioBuffer());
    } catch (InvalidProtocolBufferException e) {
      throw new McpException(CloseCode.PROTOCOL_ERROR, "malformed Hello: " + e.getMessage());
    }
    if (hello.getProtocolVersion() != PROTOCOL_VERSION) {
      throw new McpException(CloseCode.UNSUPPORTED_VERSION, "protocol version "
          + Integer.toUnsignedLong(hello.getProtocolVersion()) + " not supported (supported: " + PROTOCOL_VERSION + ")");
    }
    checkId("node_id", hello.getNodeId(), true);
    checkId("service_name", hello.getServiceName(), false);

    AuthenticationRequest request = AuthenticationRequest.of(hello.getNodeId(), hello.getServiceName(),
        hello.getToken(), hello.getMetadataMap(),
        relayed != null ? relayed.certificates() : peerCertificates(), session.remoteAddress());
    Identity identity;
    try {
      identity = authenticator.authenticate(request);
    } catch (McpException e) {
      log.info("session from {} node {}: authentication failed: {}", session.remoteAddress(),
          hello.getNodeId(), e.getMessage());
      throw new McpException(CloseCode.UNAUTHENTICATED, e.getMessage());
    }
    if (identity == null) {
      throw new McpException(CloseCode.UNAUTHENTICATED, "authenticator returned no identity");
    }

    Duration interval = heartbeatNegotiation.apply(Integer.toUnsignedLong(hello.getHeartbeatIntervalMs()));
    String sessionId = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE)
        + Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    session.establish(sessionId, hello.getNodeId(), hello.getServiceName(), hello.getMetadataMap(),
        hello.getAppliedVersionsMap(), identity, interval);
    Welcome welcome = Welcome.newBuilder()
        .setSessionId(sessionId)
        .setHeartbeatIntervalMs((int) interval.toMillis())
        .setServerId(serverId)
        .setProtocolVersion(PROTOCOL_VERSION)
        .build();
    // Welcome is written but flushed only after this side is READY: the client cannot observe
    // Welcome before the server's listeners have seen the session ready, and whatever those
    // listeners send is queued behind Welcome.
    ctx.write(ownFrame(Command.HANDSHAKE, welcome.toByteArray()));
    decoder.ready();
    endHandshake();
    startHeartbeat(interval.toNanos());
    try {
      session.transition(SessionState.READY, null);
    } finally {
      ctx.flush();
    }
  }

  private static void checkId(String field, String value, boolean required) {
    int bytes = value.getBytes(StandardCharsets.UTF_8).length;
    if (required && bytes == 0) {
      throw new McpException(CloseCode.PROTOCOL_ERROR, "Hello." + field + " is empty");
    }
    if (bytes > MAX_ID_BYTES) {
      throw new McpException(CloseCode.PROTOCOL_ERROR,
          "Hello." + field + " of " + bytes + " bytes exceeds max " + MAX_ID_BYTES);
    }
  }

  private List<X509Certificate> peerCertificates() {
    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
    return ssl == null ? List.of() : AuthenticationRequest.certificates(ssl.engine().getSession());
  }

}
