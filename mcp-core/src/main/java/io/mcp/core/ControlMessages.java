package io.mcp.core;

/**
 * The message types and metadata keys of the control plane on MCP/1 (see docs/PROTOCOL.md, "Control
 * plane"). Bodies are the protobuf messages of {@code mcp/v1/control.proto}.
 */
public final class ControlMessages {
  private ControlMessages() {}

  /** Controller to agent, one-way: {@code mcp.v1.ConfigUpdate}. */
  public static final String UPDATE = "mcp.config.update";
  /** Agent to controller, one-way: {@code mcp.v1.ConfigAck}. */
  public static final String ACK = "mcp.config.ack";
  /** Agent to controller, one-way: {@code mcp.v1.ConfigNack}. */
  public static final String NACK = "mcp.config.nack";
  /** Agent to controller, one-way: {@code mcp.v1.StatusReport}. */
  public static final String STATUS = "mcp.status";
  /** Admin to controller, request: {@code mcp.v1.ApplyRequest}, answered by {@code mcp.v1.ApplyResponse}. */
  public static final String ADMIN_APPLY = "mcp.admin.apply";

  /** Hello metadata: comma-separated services beyond {@code service_name} that the agent serves. */
  public static final String SERVICES_METADATA = "mcp.services";
  /** Hello metadata: the transport the session runs on, set by the transport ({@code tcp}, {@code grpc}). */
  public static final String TRANSPORT_METADATA = "mcp.transport";
}
