package io.mcp.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.mcp.codec.McpException;
import io.mcp.core.Identity;
import io.mcp.core.McpServer;
import io.mcp.core.spi.AuthenticationRequest;
import io.mcp.core.spi.Authenticator;
import io.mcp.grpc.proto.ControlPlaneGrpc;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** The server interceptors of the ControlPlane service. */
final class Interceptors {
  private static final Logger log = LoggerFactory.getLogger("io.mcp.grpc.calls");
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
  static final Set<String> ADMIN_METHODS = Set.of(
      ControlPlaneGrpc.getApplyConfigurationMethod().getFullMethodName(),
      ControlPlaneGrpc.getRollbackMethod().getFullMethodName());
  /** Authenticated inside MCP/1 (the Hello), like a TCP session. */
  static final String CONNECT = ControlPlaneGrpc.getConnectMethod().getFullMethodName();

  private Interceptors() {}

  /** Every call gets a deadline: {@code defaultDeadline} when it has none, capped at {@code maxDeadline}. */
  static ServerInterceptor deadlines(Duration defaultDeadline, Duration maxDeadline,
      java.util.concurrent.ScheduledExecutorService timer) {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        if (call.getMethodDescriptor().getFullMethodName().equals(CONNECT)
            || !call.getMethodDescriptor().getType().serverSendsOneMessage()) {
          return next.startCall(call, headers); // streams live as long as their peer wants
        }
        Deadline current = Context.current().getDeadline();
        Deadline max = Deadline.after(maxDeadline.toNanos(), TimeUnit.NANOSECONDS);
        Deadline wanted = current == null ? Deadline.after(defaultDeadline.toNanos(), TimeUnit.NANOSECONDS)
            : current.minimum(max);
        if (current != null && wanted == current) {
          return next.startCall(call, headers);
        }
        Context.CancellableContext context = Context.current().withDeadline(wanted, timer);
        DeadlineCall<Q, R> guarded = new DeadlineCall<>(call, context);
        // Reached only with the server's own deadline: the default (none was set) or the cap.
        long millis = current == null ? defaultDeadline.toMillis() : maxDeadline.toMillis();
        context.addListener(c -> {
          if (c.getDeadline() != null && c.getDeadline().isExpired()) {
            guarded.expire("server deadline of " + millis + " ms passed");
          }
        }, Runnable::run);
        return Contexts.interceptCall(context, guarded, headers, next);
      }
    };
  }

  /**
   * A call the server's deadline can end: when it passes, the call is closed with DEADLINE_EXCEEDED
   * and whatever the handler sends later is dropped. Every operation is serialised under one lock,
   * so the close never races the handler's own writes.
   */
  static final class DeadlineCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
    private final Object lock = new Object();
    private final Context.CancellableContext context;
    private boolean closed;

    DeadlineCall(ServerCall<Q, R> call, Context.CancellableContext context) {
      super(call);
      this.context = context;
    }

    void expire(String reason) {
      close(Status.DEADLINE_EXCEEDED.withDescription(reason), new Metadata());
    }

    @Override
    public void sendHeaders(Metadata headers) {
      synchronized (lock) {
        if (!closed) {
          super.sendHeaders(headers);
        }
      }
    }

    @Override
    public void sendMessage(R message) {
      synchronized (lock) {
        if (!closed) {
          super.sendMessage(message);
        }
      }
    }

    @Override
    public void close(Status status, Metadata trailers) {
      synchronized (lock) {
        if (closed) {
          return;
        }
        closed = true;
        super.close(status, trailers);
      }
      context.cancel(null); // releases the deadline timer with the call
    }
  }

  /**
   * Bearer tokens (and TLS client certificates) through an {@link Authenticator}; admin methods
   * need {@code adminRole}. Health, reflection and Connect are not checked here.
   */
  static ServerInterceptor authentication(Authenticator authenticator, String adminRole) {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        if (method.equals(CONNECT)) {
          // Agents authenticate in their MCP Hello; hand the transport's peer to that handshake.
          McpServer.RelayedPeer peer = new McpServer.RelayedPeer(
              call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR),
              AuthenticationRequest.certificates(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION)));
          return Contexts.interceptCall(Context.current().withValue(ControlPlaneService.CONNECT_PEER, peer),
              call, headers, next);
        }
        if (!method.startsWith(ControlPlaneGrpc.SERVICE_NAME + "/")) {
          return next.startCall(call, headers);
        }
        String header = headers.get(AUTHORIZATION);
        String token = "";
        if (header != null) {
          if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription("authorization header is not a Bearer token"));
          }
          token = header.substring(7).strip();
        }
        List<X509Certificate> certificates =
            AuthenticationRequest.certificates(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        if (token.isEmpty() && certificates.isEmpty()) {
          return refuse(call, Status.UNAUTHENTICATED.withDescription("missing bearer token"));
        }
        Identity identity;
        try {
          identity = authenticator.authenticate(AuthenticationRequest.of("", "", token, Map.of(), certificates,
              call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR)));
        } catch (McpException e) {
          return refuse(call, Status.UNAUTHENTICATED.withDescription(e.getMessage()));
        }
        if (identity == null) {
          return refuse(call, Status.UNAUTHENTICATED.withDescription("authenticator returned no identity"));
        }
        if (ADMIN_METHODS.contains(method) && !identity.hasRole(adminRole)) {
          return refuse(call, Status.PERMISSION_DENIED.withDescription("identity " + identity.name()
              + " lacks role " + adminRole + " for " + call.getMethodDescriptor().getBareMethodName()));
        }
        return Contexts.interceptCall(Context.current().withValue(GrpcIdentity.KEY, identity),
            call, headers, next);
      }
    };
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }


  /**
   * Logs every finished call (DEBUG; WARN for INTERNAL/UNKNOWN) with call id, peer and trace id in
   * the MDC, and reports it to {@code metrics}.
   */
  static ServerInterceptor logging(CallMetrics metrics) {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        long start = System.nanoTime();
        String callId = Long.toHexString(ThreadLocalRandom.current().nextLong());
        String peer = String.valueOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
        String traceparent = headers.get(TRACEPARENT);
        String traceId = io.mcp.core.internal.LogContext.traceId(traceparent);
        String method = call.getMethodDescriptor().getFullMethodName();
        Consumer<Runnable> withMdc = action -> {
          MDC.put("mcp.call", callId);
          MDC.put("mcp.peer", peer);
          MDC.put(io.mcp.core.internal.LogContext.TRACE, traceId);
          try {
            action.run();
          } finally {
            MDC.remove("mcp.call");
            MDC.remove("mcp.peer");
            MDC.remove(io.mcp.core.internal.LogContext.TRACE);
          }
        };
        ServerCall<Q, R> observed = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            long nanos = System.nanoTime() - start;
            withMdc.accept(() -> {
              if (status.getCode() == Status.Code.INTERNAL || status.getCode() == Status.Code.UNKNOWN) {
                log.warn("{} -> {} {} in {} us", method, status.getCode(), status.getDescription(), nanos / 1000);
              } else if (log.isDebugEnabled()) {
                log.debug("{} -> {} in {} us", method, status.getCode(), nanos / 1000);
              }
            });
            try {
              metrics.onCall(method, status.getCode(), nanos);
            } catch (RuntimeException e) {
              log.warn("call metrics hook failed", e);
            }
            super.close(status, trailers);
          }
        };
        ServerCall.Listener<Q> delegate = next.startCall(observed, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
          @Override
          public void onMessage(Q message) {
            withMdc.accept(() -> super.onMessage(message));
          }

          @Override
          public void onHalfClose() {
            withMdc.accept(super::onHalfClose);
          }

          @Override
          public void onCancel() {
            withMdc.accept(super::onCancel);
          }
        };
      }
    };
  }
}
