package io.mcp.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.Objects;

/**
 * W3C trace context in gRPC metadata, through the OpenTelemetry API (an optional dependency).
 *
 * <p>The {@linkplain #serverInterceptor server interceptor} continues the caller's trace (the
 * {@code traceparent}/{@code tracestate} metadata) with a SERVER span named after the method and
 * makes it current while the call is served: a {@code Controller.apply} made by
 * {@code ApplyConfiguration} then starts its {@code mcp.rollout} span (see mcp-core's
 * {@code McpTracing}) inside the caller's trace, so one trace reaches from the admin's tool to
 * every agent's ACK. The {@linkplain #clientInterceptor client interceptor} sends the current
 * context with each call (use it on the channel of {@link ControlPlaneClient} or any stub).
 */
public final class GrpcTracing {
  private static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
  private static final AttributeKey<String> RPC_SERVICE = AttributeKey.stringKey("rpc.service");
  private static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
  private static final AttributeKey<Long> GRPC_STATUS = AttributeKey.longKey("rpc.grpc.status_code");

  private static final TextMapGetter<Metadata> GETTER = new TextMapGetter<>() {
    // Still abstract in TextMapGetter, so it must be implemented; OTel deprecated it for callers.
    @SuppressWarnings("deprecation")
    @Override
    public Iterable<String> keys(Metadata carrier) {
      return carrier.keys();
    }

    @Override
    public String get(Metadata carrier, String key) {
      return carrier == null || key.endsWith(Metadata.BINARY_HEADER_SUFFIX) ? null
          : carrier.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
    }
  };
  private static final TextMapSetter<Metadata> SETTER = (carrier, key, value) ->
      carrier.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value);

  private GrpcTracing() {}

  /** A server interceptor for {@link GrpcServerOptions.Builder#addInterceptor}. */
  public static ServerInterceptor serverInterceptor(OpenTelemetry openTelemetry) {
    Tracer tracer = openTelemetry.getTracer("io.mcp.grpc");
    TextMapPropagator propagator = openTelemetry.getPropagators().getTextMapPropagator();
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        MethodDescriptor<Q, R> method = call.getMethodDescriptor();
        Context parent = propagator.extract(Context.root(), headers, GETTER);
        Span span = tracer.spanBuilder(method.getFullMethodName()).setSpanKind(SpanKind.SERVER).setParent(parent)
            .setAttribute(RPC_SYSTEM, "grpc")
            .setAttribute(RPC_SERVICE, Objects.toString(method.getServiceName(), ""))
            .setAttribute(RPC_METHOD, Objects.toString(method.getBareMethodName(), ""))
            .startSpan();
        Context context = parent.with(span);
        ServerCall<Q, R> traced = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            span.setAttribute(GRPC_STATUS, (long) status.getCode().value());
            if (!status.isOk()) {
              span.setStatus(StatusCode.ERROR, status.getCode() + ": " + Objects.toString(status.getDescription(), ""));
            }
            span.end();
            super.close(status, trailers);
          }
        };
        ServerCall.Listener<Q> delegate;
        try (Scope ignored = context.makeCurrent()) {
          delegate = next.startCall(traced, headers);
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
          @Override
          public void onMessage(Q message) {
            try (Scope ignored = context.makeCurrent()) {
              super.onMessage(message);
            }
          }

          @Override
          public void onHalfClose() {
            try (Scope ignored = context.makeCurrent()) {
              super.onHalfClose();
            }
          }

          @Override
          public void onCancel() {
            try (Scope ignored = context.makeCurrent()) {
              super.onCancel();
            }
          }

          @Override
          public void onComplete() {
            try (Scope ignored = context.makeCurrent()) {
              super.onComplete();
            }
          }

          @Override
          public void onReady() {
            try (Scope ignored = context.makeCurrent()) {
              super.onReady();
            }
          }
        };
      }
    };
  }

  /** A client interceptor that sends the current context's trace with every call. */
  public static ClientInterceptor clientInterceptor(OpenTelemetry openTelemetry) {
    TextMapPropagator propagator = openTelemetry.getPropagators().getTextMapPropagator();
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        Context context = Context.current();
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            propagator.inject(context, headers, SETTER);
            super.start(listener, headers);
          }
        };
      }
    };
  }
}
