package io.mcp.grpc.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.mcp.grpc.ControlPlaneClient;
import io.mcp.grpc.proto.ConfigRequest;
import io.mcp.grpc.proto.WaitCondition;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GET /v1/status as Server-Sent Events: snapshot, live events, ids, and resumption with Last-Event-ID. */
class SseResumeTest {
  GatewayFixture fixture;
  HttpClient http;
  ControlPlaneClient admin;

  @BeforeEach
  void start() throws Exception {
    fixture = new GatewayFixture(b -> b.sse(3, Duration.ofSeconds(30), 8));
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    admin = fixture.client("admin-token");
    fixture.agent("node-a", "payments", false);
    fixture.awaitConnected(1);
  }

  @AfterEach
  void stop() throws Exception {
    fixture.close();
  }

  SseClient open(String token, String lastEventId) throws Exception {
    return new SseClient(http, fixture.base() + "/v1/status", token, lastEventId);
  }

  void applyAndWait(String data) {
    admin.blocking().applyConfiguration(ConfigRequest.newBuilder().setServiceName("payments")
        .setConfigData(ByteString.copyFromUtf8(data)).setWait(WaitCondition.newBuilder()
            .setKind(WaitCondition.Kind.ALL)).build());
  }

  /** Waits (bounded) until stream {@code id} has produced event number {@code seq}. */
  void awaitSeq(String id, long seq) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (fixture.gateway.lastEventSeq(id) < seq && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(fixture.gateway.lastEventSeq(id)).isGreaterThanOrEqualTo(seq);
  }

  @Test
  void stream_snapshotThenLiveEvents_eachWithAnIncreasingId() throws Exception {
    try (SseClient sse = open("admin-token", null)) {
      assertThat(sse.response.statusCode()).isEqualTo(200);
      assertThat(sse.response.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
      SseClient.Event snapshot = sse.next();
      assertThat(snapshot.data()).contains("\"kind\":\"SNAPSHOT\"").contains("\"nodeId\":\"node-a\"");
      assertThat(snapshot.seqOf()).isEqualTo("1");
      SseClient.Event end = sse.next();
      assertThat(end.data()).contains("\"kind\":\"SNAPSHOT_END\"");
      assertThat(end.id()).isEqualTo(snapshot.stream() + ".2");

      applyAndWait("limit=1");
      SseClient.Event applied = sse.until("\"kind\":\"APPLIED\"");
      assertThat(applied.data()).contains("\"serviceName\":\"payments\"").contains("\"version\":\"1\"");
      assertThat(applied.stream()).isEqualTo(snapshot.stream());
      assertThat(Long.parseLong(applied.seqOf())).isGreaterThan(2);
    }
  }

  @Test
  void reconnectWithLastEventId_replaysWhatWasMissed_noSnapshot() throws Exception {
    String lastId;
    String stream;
    try (SseClient sse = open("admin-token", null)) {
      sse.next();
      SseClient.Event end = sse.next();
      lastId = end.id();
      stream = end.stream();
    }
    applyAndWait("limit=2");
    awaitSeq(stream, 3); // the APPLIED event reached the stream while no client read it

    try (SseClient resumed = open("admin-token", lastId)) {
      assertThat(resumed.response.statusCode()).isEqualTo(200);
      SseClient.Event first = resumed.next();
      assertThat(first.type()).isEqualTo("message");
      assertThat(first.id()).isEqualTo(stream + ".3"); // continues right after the last event seen
      assertThat(first.data()).doesNotContain("SNAPSHOT");
      SseClient.Event applied = first.data().contains("\"kind\":\"APPLIED\"") ? first
          : resumed.until("\"kind\":\"APPLIED\"");
      assertThat(applied.data()).contains("\"version\":\"1\"");
      assertThat(applied.stream()).isEqualTo(stream);
      // and it goes on live on the same stream
      applyAndWait("limit=3");
      SseClient.Event next = resumed.until("\"version\":\"2\"");
      assertThat(next.stream()).isEqualTo(stream);
    }
  }

  @Test
  void reconnectAfterTheBufferOverflowed_resetThenFreshSnapshot() throws Exception {
    String lastId;
    String stream;
    try (SseClient sse = open("admin-token", null)) {
      sse.next();
      lastId = sse.next().id(); // .2
      stream = lastId.substring(0, lastId.lastIndexOf('.'));
    }
    for (int i = 0; i < 4; i++) {
      applyAndWait("v" + i);
    }
    awaitSeq(stream, 6); // events 3..6 produced; the buffer keeps 3, so event 3 is gone

    try (SseClient resumed = open("admin-token", lastId)) {
      SseClient.Event reset = resumed.next();
      assertThat(reset.type()).isEqualTo("reset");
      assertThat(reset.data()).contains("events after " + lastId + " are no longer buffered");
      assertThat(reset.stream()).isNotEqualTo(stream);
      assertThat(reset.seqOf()).isEqualTo("0");
      assertThat(resumed.next().data()).contains("\"kind\":\"SNAPSHOT\"")
          .contains("\"appliedVersions\":{\"payments\":\"4\"}");
      assertThat(resumed.next().data()).contains("\"kind\":\"SNAPSHOT_END\"");
    }
  }

  @Test
  void reconnectWithUnknownIdOrOtherCaller_resetThenFreshSnapshot() throws Exception {
    try (SseClient unknown = open("admin-token", "nosuchstream.7")) {
      SseClient.Event reset = unknown.next();
      assertThat(reset.type()).isEqualTo("reset");
      assertThat(reset.data()).contains("unknown or expired");
      assertThat(unknown.next().data()).contains("\"kind\":\"SNAPSHOT\"");
    }
    String lastId;
    try (SseClient sse = open("admin-token", null)) {
      lastId = sse.next().id();
    }
    try (SseClient other = open("agent-token", lastId)) {
      SseClient.Event reset = other.next();
      assertThat(reset.type()).isEqualTo("reset");
      assertThat(reset.data()).contains("belongs to another caller or query");
    }
  }

  @Test
  void disconnectedStream_endsAfterRetention() throws Exception {
    fixture.close();
    fixture = new GatewayFixture(b -> b.sse(16, Duration.ofMillis(100), 8));
    String lastId;
    try (SseClient sse = new SseClient(http, fixture.base() + "/v1/status", "admin-token", null)) {
      lastId = sse.next().id();
      assertThat(fixture.gateway.openStreams()).isEqualTo(1);
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (fixture.gateway.openStreams() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(fixture.gateway.openStreams()).isZero();
    try (SseClient late = new SseClient(http, fixture.base() + "/v1/status", "admin-token", lastId)) {
      assertThat(late.next().type()).isEqualTo("reset");
    }
  }

  @Test
  void gatewayClosing_endsTheStreamWithAnEndEvent() throws Exception {
    try (SseClient sse = open("admin-token", null)) {
      sse.next();
      String last = sse.next().id();
      fixture.gateway.close();
      // Fleet events (a status report, say) may still precede the end event: skip them, bounded.
      SseClient.Event end = sse.next();
      for (int i = 0; i < 100 && end.type().equals("message"); i++) {
        end = sse.next();
      }
      assertThat(end.type()).isEqualTo("end");
      assertThat(end.data()).startsWith("{\"code\":\"CANCELLED\"");
      String stream = last.substring(0, last.lastIndexOf('.'));
      assertThat(end.id()).startsWith(stream + ".");
      assertThat(Long.parseLong(end.id().substring(stream.length() + 1)))
          .isGreaterThan(Long.parseLong(last.substring(stream.length() + 1)));
    }
    assertThat(fixture.gateway.openStreams()).isZero();
  }

  @Test
  void controllerShutDownWithTheGatewayOpen_theGatewayClosesFirst_streamsGetTheirEndEvent() throws Exception {
    int port = fixture.gateway.port();
    try (SseClient sse = open("admin-token", null)) {
      sse.next();
      sse.next();

      // No gateway.close(), no grpc.shutdown(): the controller's shutdown reaches both, gateway first.
      fixture.controller.shutdown(Duration.ofSeconds(2)).get(20, java.util.concurrent.TimeUnit.SECONDS);

      SseClient.Event end = sse.next();
      for (int i = 0; i < 100 && end.type().equals("message"); i++) {
        end = sse.next();
      }
      assertThat(end.type()).isEqualTo("end");
      assertThat(end.data()).startsWith("{\"code\":\"CANCELLED\"");
    }
    assertThat(fixture.gateway.openStreams()).isZero();
    assertThatThrownBy(() -> new java.net.Socket("127.0.0.1", port).close())
        .as("the gateway no longer accepts").isInstanceOf(java.io.IOException.class);
  }

  @Test
  void unauthenticatedStream_401JsonNotAStream() throws Exception {
    HttpResponse<String> none = http.send(HttpRequest.newBuilder(URI.create(fixture.base() + "/v1/status")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
    assertThat(none.body()).isEqualTo("{\"code\":\"UNAUTHENTICATED\",\"message\":\"missing bearer token\"}");
    HttpResponse<String> invalid = http.send(HttpRequest.newBuilder(URI.create(fixture.base()
        + "/v1/status?service_name=")).header("Authorization", "Bearer guess").build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(invalid.statusCode()).isEqualTo(401);
    assertThat(fixture.gateway.openStreams()).isZero();
  }

  @Test
  void filteredStream_onlyTheServiceAsked() throws Exception {
    fixture.agent("node-b", "search", false);
    fixture.awaitConnected(2);
    try (SseClient sse = new SseClient(http, fixture.base() + "/v1/status?service_name=search", "admin-token", null)) {
      SseClient.Event snapshot = sse.next();
      assertThat(snapshot.data()).contains("node-b");
      assertThat(sse.next().data()).contains("SNAPSHOT_END");
    }
  }
}
