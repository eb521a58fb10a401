package io.mcp.grpc;

import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@link CallMetrics} recorded with Micrometer (an optional dependency): the timer
 * {@code mcp.grpc.server.calls} tagged {@code method} (full gRPC method name) and {@code code}
 * (the gRPC status code). Pass it to {@link GrpcServerOptions.Builder#metrics} and bind it to
 * your registries.
 */
public final class GrpcCallMeters implements CallMetrics, MeterBinder {
  private final CompositeMeterRegistry registry = new CompositeMeterRegistry();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  @Override
  public void onCall(String method, Status.Code code, long nanos) {
    timers.computeIfAbsent(method + '\0' + code.name(), k -> Timer.builder("mcp.grpc.server.calls")
        .description("ControlPlane calls served, by method and status")
        .tags("method", method, "code", code.name())
        .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void bindTo(MeterRegistry target) {
    registry.add(target);
  }
}
