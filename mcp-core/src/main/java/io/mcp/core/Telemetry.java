package io.mcp.core;

import io.mcp.codec.Command;
import io.mcp.codec.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What MCP tells observability integrations: the hooks behind metrics and tracing.
 *
 * <p>This interface is JDK-only so that mcp-core runs without Micrometer or OpenTelemetry on the
 * class path. The integrations implement it: {@link io.mcp.core.metrics.McpMetrics} (a Micrometer
 * {@code MeterBinder}) and {@link io.mcp.core.tracing.McpTracing} (OpenTelemetry). Several are
 * combined with {@link #composite}. Pass one to {@link ServerOptions.Builder#telemetry} or
 * {@link ClientOptions.Builder#telemetry}: a {@link Controller} reports its control-plane hooks to
 * its server options' telemetry, an {@link Agent} to its client options' (set it through
 * {@link AgentOptions.Builder#client}).
 *
 * <p>Every method has a no-op default. Methods marked <em>event loop</em> run on a Netty event loop
 * for every frame or heartbeat: they must be cheap and must never block (increment a counter,
 * record a value). The others run on the caller's, a handler's or the rollout thread and may do a
 * little more, but must not block either. An exception thrown by a hook is a bug in the hook; the
 * caller does not guard against it on hot paths.
 */
public interface Telemetry {

  /** Telemetry that records nothing. */
  Telemetry NOOP = new Telemetry() {
    @Override
    public String toString() {
      return "Telemetry.NOOP";
    }
  };

  // -------------------------------------------------------------------------- sessions (loop)

  /** A connection was established and its session starts the handshake. <em>Event loop.</em> */
  default void sessionOpened(Session session) {}

  /** A session finished its handshake: both ends READY. <em>Event loop.</em> */
  default void handshakeSucceeded(Session session) {}

  /**
   * A session closed before READY (rejected Hello, failed authentication, timeout, dropped
   * connection). <em>Event loop.</em>
   */
  default void handshakeFailed(Session session, SessionClose close) {}

  /** A session that had been READY closed, for {@code close}'s reason. <em>Event loop.</em> */
  default void sessionClosed(Session session, SessionClose close) {}

  /** A whole frame of {@code bytes} (header included) arrived. <em>Event loop, per frame.</em> */
  default void frameReceived(Command command, int bytes) {}

  /** A frame of {@code bytes} (header included) was handed to the socket. <em>Event loop, per frame.</em> */
  default void frameSent(int bytes) {}

  /** A pong answered this side's ping after {@code rttNanos}. <em>Event loop.</em> */
  default void heartbeatRtt(Session session, long rttNanos) {}

  // ------------------------------------------------------------------------------- requests

  /**
   * A request this side sent finished: {@code error} is null on a response, otherwise why it
   * failed (the peer's error code, DEADLINE_EXCEEDED, UNAVAILABLE, CANCELLED...).
   */
  default void requestCompleted(String type, ErrorCode error, long nanos) {}

  /**
   * A request from the peer was handled by this side's handler: {@code error} is null on success.
   * Requests refused before a handler ran (unknown type, OVERLOADED, expired) count too.
   */
  default void requestHandled(String type, ErrorCode error, long nanos) {}

  // -------------------------------------------------------------------------- control plane

  /** A controller stored {@code version} of {@code service} and starts rolling it out. */
  default void configApplied(String service, long version) {}

  /** A node acknowledged ({@code acked}) or rejected an update. */
  default void configAnswered(String service, long version, String nodeId, boolean acked) {}

  /**
   * A rollout ended after {@code nanos}: {@code outcome} is {@code complete}, {@code halted},
   * {@code rolled_back}, {@code rollback_failed}, {@code failed} or {@code superseded}.
   */
  default void rolloutFinished(String service, long version, String outcome, long nanos) {}

  /** A session was closed because it could not keep up (CLOSE SLOW_CONSUMER). */
  default void slowConsumerClosed(Session session) {}

  // -------------------------------------------------------------------------------- tracing

  /**
   * A controller starts rolling out {@code version}; called on the thread that called
   * {@code apply} (so a tracing integration sees the caller's current context, e.g. the gRPC
   * call's span). The returned trace is told about each push and answer and carries the headers
   * that every pushed update carries to the agents.
   */
  default RolloutTrace rolloutStarted(String service, long version) {
    return RolloutTrace.NOOP;
  }

  /**
   * An agent received an update whose DATA envelope carried {@code headers} (a tracing integration
   * reads the W3C {@code traceparent} there). The returned span ends when the agent answered.
   */
  default AgentTrace updateReceived(String service, long version, Map<String, String> headers) {
    return AgentTrace.NOOP;
  }

  /** The trace of one rollout on the controller: one child per pushed node. */
  interface RolloutTrace {
    /** Records nothing and adds no headers. */
    RolloutTrace NOOP = new RolloutTrace() {};

    /** Headers to add to every pushed update (e.g. {@code traceparent}); computed once. */
    default Map<String, String> headers() {
      return Map.of();
    }

    /** The update was written to {@code nodeId}. Rollout thread. */
    default void pushed(String nodeId) {}

    /** {@code nodeId} answered: {@code reason} is null on ACK, the agent's reason on NACK. */
    default void answered(String nodeId, String reason) {}

    /** The rollout ended with {@code outcome} (see {@link Telemetry#rolloutFinished}). */
    default void finished(String outcome) {}
  }

  /** The trace of one update on an agent. */
  interface AgentTrace {
    /** Records nothing. */
    AgentTrace NOOP = new AgentTrace() {};

    /** The agent answered: {@code reason} is null on ACK, the rejection reason on NACK. */
    default void answered(String reason) {}
  }

  // ------------------------------------------------------------------------------ composite

  /** One telemetry that forwards to each of {@code parts} in order; NOOP parts are dropped. */
  static Telemetry composite(Telemetry... parts) {
    List<Telemetry> list = new ArrayList<>();
    for (Telemetry part : parts) {
      Objects.requireNonNull(part, "telemetry");
      if (part instanceof CompositeTelemetry) {
        list.addAll(((CompositeTelemetry) part).parts);
      } else if (part != NOOP) {
        list.add(part);
      }
    }
    if (list.isEmpty()) {
      return NOOP;
    }
    return list.size() == 1 ? list.get(0) : new CompositeTelemetry(list);
  }
}
