package io.mcp.core.tracing;

import io.mcp.core.Telemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Traces rollouts with the OpenTelemetry API (an optional dependency of mcp-core): one trace from
 * {@code apply} to every agent's answer.
 *
 * <ul>
 *   <li>{@code mcp.rollout} (INTERNAL) on the controller, from {@code apply} to the rollout's end;
 *       its parent is the context current when {@code apply} was called (for instance the gRPC
 *       call's server span, see mcp-grpc's tracing interceptor).
 *   <li>{@code mcp.push} (PRODUCER), a child per node the update was written to, ended by the
 *       node's ACK (status OK) or NACK (status ERROR with the agent's reason), or by the rollout's
 *       end without an answer (event {@code no answer}).
 *   <li>{@code mcp.agent.apply} (CONSUMER) on the agent, a child of {@code mcp.rollout}: the
 *       update carries the W3C trace context ({@code traceparent}, {@code tracestate}) in its DATA
 *       envelope headers, written once for every node (the update is encoded once).
 * </ul>
 *
 * <p>Attributes: {@code mcp.service}, {@code mcp.version}, {@code mcp.node_id},
 * {@code mcp.outcome}. Register as the telemetry of the controller's {@code ServerOptions} and of
 * each agent's client options; combine with metrics through {@link Telemetry#composite}.
 */
public final class McpTracing implements Telemetry {
  static final AttributeKey<String> SERVICE = AttributeKey.stringKey("mcp.service");
  static final AttributeKey<Long> VERSION = AttributeKey.longKey("mcp.version");
  static final AttributeKey<String> NODE = AttributeKey.stringKey("mcp.node_id");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("mcp.outcome");

  private static final TextMapSetter<Map<String, String>> SETTER = (carrier, key, value) -> carrier.put(key, value);
  private static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
    // Still abstract in TextMapGetter, so it must be implemented; OTel deprecated it for callers.
    @SuppressWarnings("deprecation")
    @Override
    public Iterable<String> keys(Map<String, String> carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Map<String, String> carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  };

  private final Tracer tracer;
  private final TextMapPropagator propagator;

  private McpTracing(OpenTelemetry openTelemetry) {
    this.tracer = openTelemetry.getTracer("io.mcp.core");
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
  }

  /**
   * Tracing through {@code openTelemetry}'s tracer provider and propagators (configure the W3C
   * trace-context propagator there, as the SDK's autoconfiguration does by default).
   */
  public static McpTracing create(OpenTelemetry openTelemetry) {
    return new McpTracing(Objects.requireNonNull(openTelemetry, "openTelemetry"));
  }

  @Override
  public RolloutTrace rolloutStarted(String service, long version) {
    Span rollout = tracer.spanBuilder("mcp.rollout").setSpanKind(SpanKind.INTERNAL)
        .setParent(Context.current())
        .setAttribute(SERVICE, service)
        .setAttribute(VERSION, version)
        .startSpan();
    Context context = Context.current().with(rollout);
    Map<String, String> headers = new LinkedHashMap<>();
    propagator.inject(context, headers, SETTER);
    return new Rollout(rollout, context, Map.copyOf(headers), service, version);
  }

  @Override
  public AgentTrace updateReceived(String service, long version, Map<String, String> headers) {
    Context parent = propagator.extract(Context.root(), headers, GETTER);
    Span span = tracer.spanBuilder("mcp.agent.apply").setSpanKind(SpanKind.CONSUMER)
        .setParent(parent)
        .setAttribute(SERVICE, service)
        .setAttribute(VERSION, version)
        .startSpan();
    return new AgentTrace() {
      @Override
      public void answered(String reason) {
        if (reason != null) {
          span.setStatus(StatusCode.ERROR, reason);
          span.setAttribute(OUTCOME, "nack");
        } else {
          span.setAttribute(OUTCOME, "ack");
        }
        span.end();
      }
    };
  }

  private final class Rollout implements RolloutTrace {
    final Span span;
    final Context context;
    final Map<String, String> headers;
    final String service;
    final long version;
    final Map<String, Span> pushes = new ConcurrentHashMap<>();

    Rollout(Span span, Context context, Map<String, String> headers, String service, long version) {
      this.span = span;
      this.context = context;
      this.headers = headers;
      this.service = service;
      this.version = version;
    }

    @Override
    public Map<String, String> headers() {
      return headers;
    }

    @Override
    public void pushed(String nodeId) {
      Span push = tracer.spanBuilder("mcp.push").setSpanKind(SpanKind.PRODUCER)
          .setParent(context)
          .setAttribute(SERVICE, service)
          .setAttribute(VERSION, version)
          .setAttribute(NODE, nodeId)
          .startSpan();
      Span previous = pushes.put(nodeId, push);
      if (previous != null) {
        previous.end();
      }
    }

    @Override
    public void answered(String nodeId, String reason) {
      Span push = pushes.remove(nodeId);
      if (push == null) {
        return;
      }
      if (reason != null) {
        push.setStatus(StatusCode.ERROR, reason);
        push.setAttribute(OUTCOME, "nack");
      } else {
        push.setStatus(StatusCode.OK);
        push.setAttribute(OUTCOME, "ack");
      }
      push.end();
    }

    @Override
    public void finished(String outcome) {
      for (Span push : pushes.values()) {
        push.addEvent("no answer");
        push.end();
      }
      pushes.clear();
      span.setAttribute(OUTCOME, outcome);
      if (!outcome.equals("complete") && !outcome.equals("superseded")) {
        span.setStatus(StatusCode.ERROR, outcome);
      }
      span.end();
    }
  }

  @Override
  public String toString() {
    return "McpTracing";
  }
}
