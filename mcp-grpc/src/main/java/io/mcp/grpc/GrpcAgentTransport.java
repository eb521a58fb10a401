package io.mcp.grpc;

import io.grpc.ManagedChannel;
import io.grpc.netty.NegotiationType;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.mcp.core.AgentTransport;
import io.mcp.core.TlsOptions;
import io.mcp.core.internal.Transports;
import io.mcp.grpc.internal.FrameRelay;
import io.mcp.grpc.proto.ControlPlaneGrpc;
import io.mcp.grpc.proto.Frame;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalServerChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Carries an {@link io.mcp.core.Agent}'s MCP/1 sessions over gRPC ({@code ControlPlane/Connect}):
 * the agent connects to an in-VM relay per controller endpoint, and the relay opens one gRPC
 * stream per session, each message a whole MCP/1 frame. Handshake, heartbeat, ACK/NACK and
 * reconnects are the agent's own, exactly as over TCP.
 *
 * <pre>{@code
 * AgentOptions.builder("node-1").transport(GrpcAgentTransport.create(null)) ...
 * }</pre>
 *
 * <p>Endpoints are the controllers' gRPC ports. Thread-safe.
 */
public final class GrpcAgentTransport implements AgentTransport {
  private final TlsOptions tls;
  private final ByteOrder order;
  /** Relays of every transport in this JVM share one small group (daemon threads). */
  private static final class SharedRelayGroup {
    static final EventLoopGroup GROUP = Transports.newLocalGroup(
        Math.max(1, Runtime.getRuntime().availableProcessors()), "mcp-grpc-agent-relay");
  }

  private final EventLoopGroup localGroup = SharedRelayGroup.GROUP;
  private final Map<InetSocketAddress, Relay> relays = new ConcurrentHashMap<>();

  private GrpcAgentTransport(TlsOptions tls, ByteOrder order) {
    this.tls = tls;
    this.order = order;
  }

  /** A gRPC transport; {@code tls} null for plaintext. */
  public static GrpcAgentTransport create(TlsOptions tls) {
    return new GrpcAgentTransport(tls, ByteOrder.BIG_ENDIAN);
  }

  @Override
  public String name() {
    return "grpc";
  }

  @Override
  public SocketAddress connectAddress(InetSocketAddress endpoint) {
    return relays.computeIfAbsent(endpoint, Relay::new).address;
  }

  private final class Relay {
    final ManagedChannel grpc;
    final LocalAddress address;
    final Channel server;

    Relay(InetSocketAddress endpoint) {
      NettyChannelBuilder builder = NettyChannelBuilder.forAddress(endpoint.getHostString(), endpoint.getPort())
          .maxInboundMessageSize(64 * 1024 * 1024);
      if (tls == null) {
        builder.negotiationType(NegotiationType.PLAINTEXT);
      } else {
        builder.sslContext(ControlPlaneClient.clientContext(tls));
      }
      grpc = builder.build();
      address = new LocalAddress("mcp-grpc-" + endpoint.getHostString() + "-" + endpoint.getPort() + "-"
          + UUID.randomUUID());
      server = new ServerBootstrap()
          .group(localGroup)
          .channel(LocalServerChannel.class)
          .childHandler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel session) {
              open(session);
            }
          })
          .bind(address).syncUninterruptibly().channel();
    }

    /** One agent session: one Connect stream. */
    void open(Channel session) {
      session.config().setAutoRead(false); // until the stream is ready to carry frames
      ControlPlaneGrpc.newStub(grpc).connect(new ClientResponseObserver<Frame, Frame>() {
        private FrameRelay relay;
        private io.grpc.stub.StreamObserver<Frame> fromGrpc;

        @Override
        public void beforeStart(ClientCallStreamObserver<Frame> requests) {
          requests.disableAutoRequestWithInitial(0);
          relay = new FrameRelay(requests, order);
          fromGrpc = relay.fromGrpc();
          session.eventLoop().execute(() -> {
            relay.attach(session);
            session.config().setAutoRead(true);
          });
        }

        @Override
        public void onNext(Frame frame) {
          fromGrpc.onNext(frame);
        }

        @Override
        public void onError(Throwable t) {
          fromGrpc.onError(t);
        }

        @Override
        public void onCompleted() {
          fromGrpc.onCompleted();
        }
      });
    }

    void close() {
      server.close();
      grpc.shutdownNow();
      try {
        grpc.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    relays.values().forEach(Relay::close);
    relays.clear();
  }
}
