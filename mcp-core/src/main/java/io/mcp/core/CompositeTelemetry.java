package io.mcp.core;

import io.mcp.codec.Command;
import io.mcp.codec.ErrorCode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@link Telemetry#composite}: forwards every hook to each part in order. */
final class CompositeTelemetry implements Telemetry {
  final List<Telemetry> parts;
  private final Telemetry[] array;

  CompositeTelemetry(List<Telemetry> parts) {
    this.parts = List.copyOf(parts);
    this.array = parts.toArray(new Telemetry[0]);
  }

  @Override
  public void sessionOpened(Session session) {
    for (Telemetry t : array) {
      t.sessionOpened(session);
    }
  }

  @Override
  public void handshakeSucceeded(Session session) {
    for (Telemetry t : array) {
      t.handshakeSucceeded(session);
    }
  }

  @Override
  public void handshakeFailed(Session session, SessionClose close) {
    for (Telemetry t : array) {
      t.handshakeFailed(session, close);
    }
  }

  @Override
  public void sessionClosed(Session session, SessionClose close) {
    for (Telemetry t : array) {
      t.sessionClosed(session, close);
    }
  }

  @Override
  public void frameReceived(Command command, int bytes) {
    for (Telemetry t : array) {
      t.frameReceived(command, bytes);
    }
  }

  @Override
  public void frameSent(int bytes) {
    for (Telemetry t : array) {
      t.frameSent(bytes);
    }
  }

  @Override
  public void heartbeatRtt(Session session, long rttNanos) {
    for (Telemetry t : array) {
      t.heartbeatRtt(session, rttNanos);
    }
  }

  @Override
  public void requestCompleted(String type, ErrorCode error, long nanos) {
    for (Telemetry t : array) {
      t.requestCompleted(type, error, nanos);
    }
  }

  @Override
  public void requestHandled(String type, ErrorCode error, long nanos) {
    for (Telemetry t : array) {
      t.requestHandled(type, error, nanos);
    }
  }

  @Override
  public void configApplied(String service, long version) {
    for (Telemetry t : array) {
      t.configApplied(service, version);
    }
  }

  @Override
  public void configAnswered(String service, long version, String nodeId, boolean acked) {
    for (Telemetry t : array) {
      t.configAnswered(service, version, nodeId, acked);
    }
  }

  @Override
  public void rolloutFinished(String service, long version, String outcome, long nanos) {
    for (Telemetry t : array) {
      t.rolloutFinished(service, version, outcome, nanos);
    }
  }

  @Override
  public void slowConsumerClosed(Session session) {
    for (Telemetry t : array) {
      t.slowConsumerClosed(session);
    }
  }

  @Override
  public RolloutTrace rolloutStarted(String service, long version) {
    List<RolloutTrace> traces = new ArrayList<>(array.length);
    for (Telemetry t : array) {
      RolloutTrace trace = t.rolloutStarted(service, version);
      if (trace != RolloutTrace.NOOP) {
        traces.add(trace);
      }
    }
    if (traces.isEmpty()) {
      return RolloutTrace.NOOP;
    }
    if (traces.size() == 1) {
      return traces.get(0);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (RolloutTrace trace : traces) {
      headers.putAll(trace.headers());
    }
    Map<String, String> merged = Map.copyOf(headers);
    return new RolloutTrace() {
      @Override
      public Map<String, String> headers() {
        return merged;
      }

      @Override
      public void pushed(String nodeId) {
        traces.forEach(trace -> trace.pushed(nodeId));
      }

      @Override
      public void answered(String nodeId, String reason) {
        traces.forEach(trace -> trace.answered(nodeId, reason));
      }

      @Override
      public void finished(String outcome) {
        traces.forEach(trace -> trace.finished(outcome));
      }
    };
  }

  @Override
  public AgentTrace updateReceived(String service, long version, Map<String, String> headers) {
    List<AgentTrace> traces = new ArrayList<>(array.length);
    for (Telemetry t : array) {
      AgentTrace trace = t.updateReceived(service, version, headers);
      if (trace != AgentTrace.NOOP) {
        traces.add(trace);
      }
    }
    if (traces.isEmpty()) {
      return AgentTrace.NOOP;
    }
    return new AgentTrace() {
      @Override
      public void answered(String reason) {
        traces.forEach(trace -> trace.answered(reason));
      }
    };
  }

  @Override
  public String toString() {
    return "Telemetry.composite" + parts;
  }
}
