package io.mcp.grpc;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * A client interceptor that guards calls with a Resilience4j {@link CircuitBreaker}, for callers
 * that want one (see docs/ERRORS.md). Resilience4j is an <em>optional</em> dependency of
 * mcp-grpc: add {@code io.github.resilience4j:resilience4j-circuitbreaker} to use this class.
 *
 * <p>Each call asks the breaker for a permission when it starts. Refused, it fails at once with
 * {@code UNAVAILABLE} ("circuit breaker 'name' is OPEN; call not sent") and nothing reaches the
 * network. Permitted, its outcome is recorded when it closes: the status codes in {@code
 * failureCodes} (by default UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN — the server or
 * the path to it is unwell) count as failures; any other status, OK or a caller error such as
 * INVALID_ARGUMENT or PERMISSION_DENIED, counts as a success, because the server answered; a call
 * the caller cancels itself releases its permission without counting.
 *
 * <p>Put it on a stub, {@code client.blocking().withInterceptors(breaker)}: stub interceptors run
 * outside the channel's retries, so a call retried by the service config counts once, with its
 * final outcome.
 */
public final class CircuitBreakerInterceptor implements ClientInterceptor {
  private static final Set<Status.Code> DEFAULT_FAILURES = EnumSet.of(
      Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED, Status.Code.INTERNAL, Status.Code.UNKNOWN);

  private final CircuitBreaker breaker;
  private final Set<Status.Code> failureCodes;

  private CircuitBreakerInterceptor(CircuitBreaker breaker, Set<Status.Code> failureCodes) {
    this.breaker = Objects.requireNonNull(breaker, "breaker");
    this.failureCodes = EnumSet.copyOf(failureCodes);
    if (this.failureCodes.contains(Status.Code.OK)) {
      throw new IllegalArgumentException("failureCodes must not contain OK");
    }
  }

  /** Guards calls with {@code breaker}, counting the default failure codes. */
  public static CircuitBreakerInterceptor of(CircuitBreaker breaker) {
    return new CircuitBreakerInterceptor(breaker, DEFAULT_FAILURES);
  }

  /** Guards calls with {@code breaker}, counting {@code failureCodes} (non-empty, without OK) as failures. */
  public static CircuitBreakerInterceptor of(CircuitBreaker breaker, Set<Status.Code> failureCodes) {
    if (failureCodes.isEmpty()) {
      throw new IllegalArgumentException("failureCodes is empty");
    }
    return new CircuitBreakerInterceptor(breaker, failureCodes);
  }

  /** The breaker this interceptor consults. */
  public CircuitBreaker breaker() {
    return breaker;
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    return new GuardedCall<>(next.newCall(method, callOptions));
  }

  private final class GuardedCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {
    private final ClientCall<ReqT, RespT> delegate;
    /** True once the breaker refused: every later method is a no-op, the delegate never starts. */
    private boolean refused;
    private volatile boolean cancelledByCaller;

    GuardedCall(ClientCall<ReqT, RespT> delegate) {
      this.delegate = delegate;
    }

    @Override
    public void start(Listener<RespT> listener, Metadata headers) {
      if (!breaker.tryAcquirePermission()) {
        refused = true;
        listener.onClose(Status.UNAVAILABLE.withDescription(
            "circuit breaker '" + breaker.getName() + "' is " + breaker.getState() + "; call not sent"), new Metadata());
        return;
      }
      long started = breaker.getCurrentTimestamp();
      delegate.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
        @Override
        public void onClose(Status status, Metadata trailers) {
          record(status, started);
          super.onClose(status, trailers);
        }
      }, headers);
    }

    private void record(Status status, long started) {
      if (status.getCode() == Status.Code.CANCELLED && cancelledByCaller) {
        breaker.releasePermission();
      } else if (failureCodes.contains(status.getCode())) {
        breaker.onError(breaker.getCurrentTimestamp() - started, breaker.getTimestampUnit(), status.asRuntimeException());
      } else {
        breaker.onSuccess(breaker.getCurrentTimestamp() - started, breaker.getTimestampUnit());
      }
    }

    @Override
    public void request(int numMessages) {
      if (!refused) {
        delegate.request(numMessages);
      }
    }

    @Override
    public void cancel(String message, Throwable cause) {
      if (!refused) {
        cancelledByCaller = true;
        delegate.cancel(message, cause);
      }
    }

    @Override
    public void halfClose() {
      if (!refused) {
        delegate.halfClose();
      }
    }

    @Override
    public void sendMessage(ReqT message) {
      if (!refused) {
        delegate.sendMessage(message);
      }
    }

    @Override
    public boolean isReady() {
      return !refused && delegate.isReady();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      if (!refused) {
        delegate.setMessageCompression(enabled);
      }
    }

    @Override
    public io.grpc.Attributes getAttributes() {
      return refused ? io.grpc.Attributes.EMPTY : delegate.getAttributes();
    }
  }

  /** Whether {@code error} is this interceptor's fail-fast refusal rather than a server answer. */
  public static boolean isRefusal(Throwable error) {
    return error instanceof StatusRuntimeException e && e.getStatus().getCode() == Status.Code.UNAVAILABLE
        && e.getStatus().getDescription() != null && e.getStatus().getDescription().startsWith("circuit breaker '");
  }
}
