package io.mcp.core;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * How an {@link Agent} reaches its controllers: plain MCP/1 over TCP ({@link #tcp()}, the default)
 * or a relaying transport such as gRPC (mcp-grpc's {@code GrpcAgentTransport}), which gives the
 * agent an in-VM address per controller endpoint and carries the MCP/1 bytes itself. Either way the
 * session is the same MCP/1 session: handshake, heartbeat, ACK/NACK.
 *
 * <p>Implementations must be thread-safe.
 */
public interface AgentTransport extends AutoCloseable {
  /** The name reported to the controller in the Hello metadata ({@code mcp.transport}). */
  String name();

  /** The address the agent's client connects to in order to reach {@code endpoint}. */
  SocketAddress connectAddress(InetSocketAddress endpoint);

  /** Releases what the transport holds (channels, relays). */
  @Override
  void close();

  /** MCP/1 directly over TCP (and TLS, if configured). */
  static AgentTransport tcp() {
    return new AgentTransport() {
      @Override
      public String name() {
        return "tcp";
      }

      @Override
      public SocketAddress connectAddress(InetSocketAddress endpoint) {
        return endpoint;
      }

      @Override
      public void close() {}
    };
  }
}
