package io.mcp.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.mcp.grpc.proto.ControlPlaneGrpc;
import io.mcp.grpc.proto.ListNodesRequest;
import io.mcp.grpc.proto.ListNodesResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CircuitBreakerInterceptorTest {
  /** Answers ListNodes with the scripted statuses in order, then OK; counts the calls it sees. */
  static final class ScriptedService extends ControlPlaneGrpc.ControlPlaneImplBase {
    final Deque<Status> script = new ArrayDeque<>();
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public synchronized void listNodes(ListNodesRequest request, StreamObserver<ListNodesResponse> response) {
      calls.incrementAndGet();
      Status next = script.poll();
      if (next == null || next.isOk()) {
        response.onNext(ListNodesResponse.getDefaultInstance());
        response.onCompleted();
      } else {
        response.onError(next.asRuntimeException());
      }
    }
  }

  private final ScriptedService service = new ScriptedService();
  private String serverName;
  private Server server;
  private ManagedChannel channel;
  private CircuitBreaker breaker;
  private ControlPlaneGrpc.ControlPlaneBlockingStub stub;

  @BeforeEach
  void start() throws Exception {
    serverName = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(serverName).directExecutor().addService(service).build().start();
    channel = InProcessChannelBuilder.forName(serverName).directExecutor().build();
    breaker = CircuitBreaker.of("control-plane", CircuitBreakerConfig.custom()
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(4).minimumNumberOfCalls(4).failureRateThreshold(50)
        .waitDurationInOpenState(Duration.ofHours(1)) // never reopens by itself during the test
        .permittedNumberOfCallsInHalfOpenState(1)
        .build());
    stub = ControlPlaneGrpc.newBlockingStub(ClientInterceptors.intercept(channel, CircuitBreakerInterceptor.of(breaker)));
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  private Status.Code call() {
    try {
      stub.listNodes(ListNodesRequest.getDefaultInstance());
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  @Test
  void unavailableAnswersOpenTheBreaker_thenCallsFailFastWithoutReachingTheServer() {
    assertThat(call()).isEqualTo(Status.Code.OK);
    for (int i = 0; i < 3; i++) {
      service.script.add(Status.UNAVAILABLE.withDescription("down"));
    }
    for (int i = 0; i < 3; i++) {
      assertThat(call()).isEqualTo(Status.Code.UNAVAILABLE);
    }
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    int seen = service.calls.get();

    assertThatThrownBy(() -> stub.listNodes(ListNodesRequest.getDefaultInstance()))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessage("UNAVAILABLE: circuit breaker 'control-plane' is OPEN; call not sent")
        .matches(CircuitBreakerInterceptor::isRefusal);
    assertThat(service.calls.get()).isEqualTo(seen);
    assertThat(breaker.getMetrics().getNumberOfNotPermittedCalls()).isEqualTo(1);
  }

  @Test
  void callerErrorsAreTheServerAnswering_andDoNotOpenTheBreaker() {
    for (int i = 0; i < 6; i++) {
      service.script.add(Status.INVALID_ARGUMENT.withDescription("service_name is empty"));
    }
    for (int i = 0; i < 6; i++) {
      assertThat(call()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(4); // window of 4
    assertThat(service.calls.get()).isEqualTo(6);
  }

  @Test
  void halfOpenProbe_closesOnSuccess_andReopensOnFailure() {
    breaker.transitionToOpenState();
    breaker.transitionToHalfOpenState();
    service.script.add(Status.DEADLINE_EXCEEDED);
    assertThat(call()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);

    breaker.transitionToHalfOpenState();
    assertThat(call()).isEqualTo(Status.Code.OK);
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void onAStub_aCallRetriedByTheServiceConfigCountsOnceWithItsFinalOutcome() {
    ManagedChannel retrying = InProcessChannelBuilder.forName(serverName).directExecutor()
        .defaultServiceConfig(ControlPlaneClient.SERVICE_CONFIG).enableRetry().build();
    try {
      service.script.add(Status.UNAVAILABLE.withDescription("blip"));
      service.script.add(Status.UNAVAILABLE.withDescription("blip"));
      ListNodesResponse response = ControlPlaneGrpc.newBlockingStub(retrying)
          .withInterceptors(CircuitBreakerInterceptor.of(breaker))
          .listNodes(ListNodesRequest.getDefaultInstance());

      assertThat(response).isNotNull();
      assertThat(service.calls.get()).isEqualTo(3); // two retries reached the server
      assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(1);
      assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isZero();
    } finally {
      retrying.shutdownNow();
    }
  }

  @Test
  void customFailureCodes() {
    CircuitBreakerInterceptor strict = CircuitBreakerInterceptor.of(breaker, EnumSet.of(Status.Code.RESOURCE_EXHAUSTED));
    stub = ControlPlaneGrpc.newBlockingStub(ClientInterceptors.intercept(channel, strict));
    for (int i = 0; i < 4; i++) {
      service.script.add(i % 2 == 0 ? Status.RESOURCE_EXHAUSTED : Status.UNAVAILABLE);
    }
    for (int i = 0; i < 4; i++) {
      call();
    }
    assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isEqualTo(2);
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN); // 50 % of 4
    assertThatThrownBy(() -> CircuitBreakerInterceptor.of(breaker, EnumSet.of(Status.Code.OK)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("OK");
    assertThatThrownBy(() -> CircuitBreakerInterceptor.of(breaker, EnumSet.noneOf(Status.Code.class)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
  }
}
