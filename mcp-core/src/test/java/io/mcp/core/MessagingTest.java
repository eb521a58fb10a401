package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.codec.Close;
import io.mcp.codec.CloseCode;
import io.mcp.codec.CodecOptions;
import io.mcp.codec.Command;
import io.mcp.codec.Envelope;
import io.mcp.codec.ErrorCode;
import io.mcp.codec.Frame;
import io.mcp.codec.FrameEncoder;
import io.mcp.core.auth.Authenticators;
import io.mcp.core.internal.NettySession;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Request/response and one-way messaging over real loopback sockets. */
class MessagingTest {
  final List<AutoCloseable> closeables = new ArrayList<>();
  final AtomicInteger slowRuns = new AtomicInteger();
  final CountDownLatch release = new CountDownLatch(1);
  final LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();

  MessageHandlers serverHandlers() {
    return MessageHandlers.builder()
        .on("echo", m -> Reply.of(Map.of("seen-type", m.type()), m.body()))
        .on("fail", m -> {
          throw new RequestException(ErrorCode.NOT_FOUND, "no config named " + utf8(m.body()));
        })
        .on("crash", m -> {
          throw new IllegalStateException("secret internal detail");
        })
        .on("wait-for-cancel", m -> {
          CountDownLatch cancelled = new CountDownLatch(1);
          m.onCancel(cancelled::countDown);
          events.add("started " + utf8(m.body()));
          boolean sawCancel = cancelled.await(10, TimeUnit.SECONDS);
          events.add("cancelled=" + sawCancel + " isCancelled=" + m.isCancelled());
          return Reply.empty();
        })
        .on("slow", m -> {
          slowRuns.incrementAndGet();
          release.await(10, TimeUnit.SECONDS);
          return Reply.of(m.body());
        })
        .onAsync("async-echo", m -> CompletableFuture.completedFuture(Reply.of(m.body())))
        .on("where", m -> Reply.of(bytes("event loop=" + onEventLoop(m))))
        .onAsync("async-where", m -> CompletableFuture.completedFuture(Reply.of(bytes("event loop=" + onEventLoop(m)))))
        // "fill" answers with as many zero bytes as its body names.
        .onAsync("fill", m -> CompletableFuture.completedFuture(Reply.of(new byte[Integer.parseInt(utf8(m.body()))])))
        .on("note", m -> {
          events.add("note " + utf8(m.body()) + " " + m.headers() + " request=" + m.isRequest());
          return null;
        })
        .build();
  }

  McpServer server(ServerOptions.Builder builder) {
    McpServer server = McpServer.create(builder.host("127.0.0.1").authenticator(Authenticators.allowAll())
        .handlers(serverHandlers()).build()).start();
    closeables.add(() -> server.shutdown(Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS));
    return server;
  }

  Session connect(McpServer server, ClientOptions.Builder builder) throws Exception {
    McpClient client = McpClient.create(builder.build());
    closeables.add(client);
    return client.connect(new InetSocketAddress("127.0.0.1", server.port())).get(10, TimeUnit.SECONDS);
  }

  Session connect(McpServer server) throws Exception {
    return connect(server, ClientOptions.builder("client"));
  }

  @AfterEach
  void closeAll() throws Exception {
    release.countDown();
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  /** Whether the caller runs on the event loop of the session {@code m} arrived on. */
  static boolean onEventLoop(Message m) {
    return ((NettySession) m.session()).channel().eventLoop().inEventLoop();
  }

  static ByteBuffer bytes(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
  }

  static String utf8(ByteBuffer b) {
    return StandardCharsets.UTF_8.decode(b.duplicate()).toString();
  }

  static RequestException failure(CompletableFuture<?> future) {
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> future.get(10, TimeUnit.SECONDS));
    assertThat(e.getCause()).isInstanceOf(RequestException.class);
    return (RequestException) e.getCause();
  }

  @Test
  void request_success_returnsBodyAndHeaders() throws Exception {
    Session session = connect(server(ServerOptions.builder()));

    Reply reply = session.request("echo", Map.of("traceparent", "00-abc-def-01"), bytes("hello"),
        Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);

    assertThat(utf8(reply.body())).isEqualTo("hello");
    assertThat(reply.headers()).containsEntry("seen-type", "echo");
  }

  @Test
  void nonBlockingHandler_runsOnTheSessionsEventLoop() throws Exception {
    Session session = connect(server(ServerOptions.builder()));

    assertThat(utf8(session.requestBlocking("async-echo", bytes("fast"), Duration.ofSeconds(10)).body()))
        .isEqualTo("fast");
    assertThat(utf8(session.requestBlocking("async-where", bytes(""), Duration.ofSeconds(10)).body()))
        .isEqualTo("event loop=true");
  }

  @Test
  void blockingHandler_runsOffTheEventLoop() throws Exception {
    Session session = connect(server(ServerOptions.builder()));

    assertThat(utf8(session.requestBlocking("where", bytes(""), Duration.ofSeconds(10)).body()))
        .isEqualTo("event loop=false");
  }

  @Test
  void handlerThrowsRequestException_errorResponseWithItsCode() throws Exception {
    Session session = connect(server(ServerOptions.builder()));

    RequestException e = failure(session.request("fail", bytes("payments"), Duration.ofSeconds(10)));

    assertThat(e.errorCode()).isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(e.getMessage()).isEqualTo("no config named payments");
  }

  @Test
  void handlerThrowsUnexpectedly_unknownWithoutLeakingDetails() throws Exception {
    Session session = connect(server(ServerOptions.builder()));

    RequestException e = failure(session.request("crash", bytes(""), Duration.ofSeconds(10)));

    assertThat(e.errorCode()).isEqualTo(ErrorCode.UNKNOWN);
    assertThat(e.getMessage()).isEqualTo("handler for crash failed").doesNotContain("secret");
  }

  @Test
  void requestBlocking_throwsTheRequestException() throws Exception {
    Session session = connect(server(ServerOptions.builder()));

    assertThatThrownBy(() -> session.requestBlocking("fail", bytes("x"), Duration.ofSeconds(10)))
        .isInstanceOf(RequestException.class)
        .hasMessage("no config named x");
  }

  @Test
  void unknownType_unknownMessageTypeError() throws Exception {
    Session session = connect(server(ServerOptions.builder()));

    RequestException e = failure(session.request("no.such.type", bytes(""), Duration.ofSeconds(10)));

    assertThat(e.errorCode()).isEqualTo(ErrorCode.UNKNOWN_MESSAGE_TYPE);
    assertThat(e.getMessage()).isEqualTo("no handler for message type no.such.type");
  }

  @Test
  void unknownOneWayType_answeredWithErrorOfCorrelationZero() throws Exception {
    McpServer server = server(ServerOptions.builder());
    try (RawPeer peer = new RawPeer(new InetSocketAddress("127.0.0.1", server.port()))) {
      peer.handshake(RawPeer.hello("raw").build());
      peer.send(Command.DATA, Envelope.oneWay("mystery", Map.of(), bytes("?")).encode());

      Envelope error = RawPeer.envelope(peer.read());

      assertThat(error.kind()).isEqualTo(Envelope.Kind.ERROR);
      assertThat(error.correlationId()).isZero();
      assertThat(error.errorCode()).isEqualTo(ErrorCode.UNKNOWN_MESSAGE_TYPE);
      assertThat(error.errorMessage()).isEqualTo("no handler for message type mystery");
    }
  }

  @Test
  void oneWay_deliveredWithHeaders() throws Exception {
    Session session = connect(server(ServerOptions.builder()));

    session.send("note", Map.of("k", "v"), bytes("hi")).get(10, TimeUnit.SECONDS);

    assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("note hi {k=v} request=false");
  }

  @Test
  void deadlineExceeded_callerFails_andHandlerSeesTheCancellation() throws Exception {
    Session session = connect(server(ServerOptions.builder()));

    RequestException e = failure(session.request("wait-for-cancel", bytes("d"), Duration.ofMillis(300)));

    assertThat(e.errorCode()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
    assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("started d");
    assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("cancelled=true isCancelled=true");
  }

  @Test
  void cancel_reachesTheHandler() throws Exception {
    Session session = connect(server(ServerOptions.builder()));
    CompletableFuture<Reply> call = session.request("wait-for-cancel", bytes("c"), Duration.ofSeconds(30));
    assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("started c");

    call.cancel(true);

    assertThatThrownBy(() -> call.get(1, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
    assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("cancelled=true isCancelled=true");
  }

  @Test
  void cancelOnTheWire_handlerToldToStop_andNothingIsSentForThatId() throws Exception {
    ExecutorService oneThread = Executors.newSingleThreadExecutor();
    closeables.add(oneThread::shutdownNow);
    McpServer server = server(ServerOptions.builder().handlerExecutor(oneThread));
    try (RawPeer peer = new RawPeer(new InetSocketAddress("127.0.0.1", server.port()))) {
      peer.handshake(RawPeer.hello("canceller").build());
      peer.request(5, "wait-for-cancel", "5".getBytes(StandardCharsets.UTF_8));
      assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("started 5");

      peer.send(Command.DATA, Envelope.cancel(5).encode());
      assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("cancelled=true isCancelled=true");
      // The only handler thread starts 6 after 5's handler returned and handed its result to the
      // event loop, so an answer to 5, if one were sent, would be written before 6's.
      peer.request(6, "echo", "6".getBytes(StandardCharsets.UTF_8));

      List<String> answersTo5 = new ArrayList<>();
      Envelope answer6 = null;
      for (int i = 0; i < 100 && answer6 == null; i++) {
        Frame frame = peer.read();
        if (frame.command() != Command.DATA) {
          continue; // a heartbeat
        }
        Envelope envelope = RawPeer.envelope(frame);
        if (envelope.correlationId() == 5) {
          answersTo5.add(envelope.toString());
        } else if (envelope.correlationId() == 6 && envelope.kind() == Envelope.Kind.RESPONSE) {
          answer6 = envelope;
        }
      }

      assertThat(answer6).as("the RESPONSE to 6").isNotNull();
      assertThat(utf8(answer6.body())).isEqualTo("6");
      assertThat(answersTo5).as("RESPONSE or ERROR for the cancelled id 5").isEmpty();
    }
  }

  @Test
  void expiredBeforeItsHandlerStarts_neverExecuted() throws Exception {
    ExecutorService oneThread = Executors.newSingleThreadExecutor();
    closeables.add(oneThread::shutdownNow);
    Session session = connect(server(ServerOptions.builder().handlerExecutor(oneThread)));
    CompletableFuture<Reply> first = session.request("slow", bytes("1"), Duration.ofSeconds(30));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (slowRuns.get() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }

    // Queued behind the first on the only thread; its 200 ms deadline passes while it waits.
    RequestException e = failure(session.request("slow", bytes("2"), Duration.ofMillis(200)));
    // The server's deadline is its receipt time + 200 ms, a little after the client's: let it pass
    // too before the worker thread is freed (a synchronisation wait, not a timing assertion).
    Thread.sleep(500);
    release.countDown();

    assertThat(e.errorCode()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
    assertThat(utf8(first.get(10, TimeUnit.SECONDS).body())).isEqualTo("1");
    // A request behind it proves the queue drained; the expired one never ran.
    assertThat(utf8(session.requestBlocking("echo", bytes("3"), Duration.ofSeconds(10)).body())).isEqualTo("3");
    assertThat(slowRuns.get()).isEqualTo(1);
  }

  @Test
  void cancelledBeforeItsHandlerStarts_neverExecuted() throws Exception {
    ExecutorService oneThread = Executors.newSingleThreadExecutor();
    closeables.add(oneThread::shutdownNow);
    Session session = connect(server(ServerOptions.builder().handlerExecutor(oneThread)));
    CompletableFuture<Reply> first = session.request("slow", bytes("1"), Duration.ofSeconds(30));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (slowRuns.get() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    CompletableFuture<Reply> second = session.request("slow", bytes("2"), Duration.ofSeconds(30));
    session.requestBlocking("async-echo", bytes("sync"), Duration.ofSeconds(10)); // the request reached the server

    second.cancel(true);
    session.requestBlocking("async-echo", bytes("sync"), Duration.ofSeconds(10)); // so did the CANCEL
    release.countDown();

    first.get(10, TimeUnit.SECONDS);
    assertThat(utf8(session.requestBlocking("echo", bytes("3"), Duration.ofSeconds(10)).body())).isEqualTo("3");
    assertThat(slowRuns.get()).isEqualTo(1);
  }

  @Test
  void inFlightLimit_excessAnsweredOverloadedAtOnce() throws Exception {
    Session session = connect(server(ServerOptions.builder().maxInFlightRequests(2)));
    CompletableFuture<Reply> a = session.request("slow", bytes("a"), Duration.ofSeconds(30));
    CompletableFuture<Reply> b = session.request("slow", bytes("b"), Duration.ofSeconds(30));

    RequestException e = failure(session.request("slow", bytes("c"), Duration.ofSeconds(30)));
    release.countDown();

    assertThat(e.errorCode()).isEqualTo(ErrorCode.OVERLOADED);
    assertThat(e.getMessage()).isEqualTo("2 requests in flight, max 2");
    assertThat(utf8(a.get(10, TimeUnit.SECONDS).body())).isEqualTo("a");
    assertThat(utf8(b.get(10, TimeUnit.SECONDS).body())).isEqualTo("b");
  }

  @Test
  void handlerExecutorSaturated_excessAnsweredOverloaded() throws Exception {
    ThreadPoolExecutor tiny = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1));
    closeables.add(tiny::shutdownNow);
    Session session = connect(server(ServerOptions.builder().handlerExecutor(tiny)));
    CompletableFuture<Reply> running = session.request("slow", bytes("a"), Duration.ofSeconds(30));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (slowRuns.get() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    CompletableFuture<Reply> queued = session.request("slow", bytes("b"), Duration.ofSeconds(30));

    // Requests are dispatched in arrival order: "b" holds the queue's only slot when "c" comes.
    RequestException e = failure(session.request("slow", bytes("c"), Duration.ofSeconds(30)));
    release.countDown();

    assertThat(e.errorCode()).isEqualTo(ErrorCode.OVERLOADED);
    assertThat(e.getMessage()).isEqualTo("handler executor is saturated");
    assertThat(utf8(running.get(10, TimeUnit.SECONDS).body())).isEqualTo("a");
    assertThat(utf8(queued.get(10, TimeUnit.SECONDS).body())).isEqualTo("b");
    assertThat(slowRuns.get()).isEqualTo(2);
  }

  @Test
  void answersThatDoNotFitTheBudget_peerNeverReads_closedAsSlowConsumer() throws Exception {
    McpServer server = server(ServerOptions.builder()
        .maxQueuedBytes(1024 * 1024)
        .writeBufferWaterMarks(64 * 1024, 256 * 1024)
        .writeDeadline(Duration.ofSeconds(60))); // so only the budget can end the session
    try (RawPeer peer = new RawPeer(new InetSocketAddress("127.0.0.1", server.port()), 4096)) {
      peer.handshake(RawPeer.hello("greedy").build());
      Session serverSide = server.sessions().iterator().next();
      // 64 requests for 256 KiB answers each (16 MiB, well above the 1 MiB budget plus what the
      // sockets buffer), written at once; the peer never reads again.
      ByteArrayOutputStream requests = new ByteArrayOutputStream();
      FrameEncoder encoder = FrameEncoder.create(CodecOptions.defaults());
      for (int id = 1; id <= 64; id++) {
        requests.write(encoder.encode(Frame.of(Command.DATA,
            Envelope.request(id, "fill", 0, Map.of(), bytes(String.valueOf(256 * 1024))).encode())));
      }
      peer.write(requests.toByteArray());

      SessionClose close = serverSide.closeFuture().get(10, TimeUnit.SECONDS);

      assertThat(close.code()).isEqualTo(CloseCode.SLOW_CONSUMER);
      assertThat(close.reason()).startsWith(
          "outbound budget exhausted while answering: outbound budget of 1048576 bytes exhausted");
    }
  }

  @Test
  void outstandingLimit_excessFailsLocallyWithoutSending() throws Exception {
    Session session = connect(server(ServerOptions.builder()), ClientOptions.builder("c").maxOutstandingRequests(1));
    CompletableFuture<Reply> a = session.request("slow", bytes("a"), Duration.ofSeconds(30));

    RequestException e = failure(session.request("echo", bytes("b"), Duration.ofSeconds(30)));
    release.countDown();

    assertThat(e.errorCode()).isEqualTo(ErrorCode.OVERLOADED);
    assertThat(e.getMessage()).isEqualTo("1 requests outstanding, max 1");
    a.get(10, TimeUnit.SECONDS);
  }

  @Test
  void sessionClosedWhileRequestsAreOutstanding_theyFailUnavailable() throws Exception {
    McpServer server = server(ServerOptions.builder());
    Session session = connect(server);
    CompletableFuture<Reply> pending = session.request("slow", bytes("x"), Duration.ofSeconds(30));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (slowRuns.get() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(slowRuns.get()).as("the handler started").isEqualTo(1);

    server.sessions().iterator().next().close(CloseCode.GOING_AWAY, "bye");

    RequestException e = failure(pending);
    assertThat(e.errorCode()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(e.getMessage()).contains("GOING_AWAY");
  }

  @Test
  void serverPush_requestToTheClientsHandler() throws Exception {
    McpServer server = server(ServerOptions.builder());
    connect(server, ClientOptions.builder("agent").handlers(MessageHandlers.builder()
        .on("config.push", m -> Reply.of(bytes("applied " + utf8(m.body())))).build()));
    Session serverSide = server.sessions().iterator().next();
    // The client is READY once it reads Welcome; the server turns READY just after writing it.
    for (int i = 0; i < 2_000 && serverSide.state() != SessionState.READY; i++) {
      Thread.sleep(5);
    }

    Reply reply = serverSide.request("config.push", bytes("v7"), Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);

    assertThat(utf8(reply.body())).isEqualTo("applied v7");
  }

  @Test
  void duplicateRequestIdInFlight_protocolError() throws Exception {
    McpServer server = server(ServerOptions.builder());
    try (RawPeer peer = new RawPeer(new InetSocketAddress("127.0.0.1", server.port()))) {
      peer.handshake(RawPeer.hello("dup").build());
      peer.request(7, "slow", new byte[0]);
      peer.request(7, "slow", new byte[0]);

      Close close = peer.expectClose();

      assertThat(close.code()).isEqualTo(CloseCode.PROTOCOL_ERROR);
      assertThat(close.reason()).isEqualTo("request id 7 is already in flight");
    }
  }

  @Test
  void malformedEnvelope_protocolErrorNamingTheProblem() throws Exception {
    McpServer server = server(ServerOptions.builder());
    try (RawPeer peer = new RawPeer(new InetSocketAddress("127.0.0.1", server.port()))) {
      peer.handshake(RawPeer.hello("bad").build());
      peer.send(Command.DATA, new byte[] {9, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0});

      Close close = peer.expectClose();

      assertThat(close.code()).isEqualTo(CloseCode.PROTOCOL_ERROR);
      assertThat(close.reason()).isEqualTo("envelope kind 9 (expected 0..4)");
    }
  }

  @Test
  void lateResponseForAnUnknownId_ignored() throws Exception {
    McpServer server = server(ServerOptions.builder());
    try (RawPeer peer = new RawPeer(new InetSocketAddress("127.0.0.1", server.port()))) {
      peer.handshake(RawPeer.hello("late").build());
      peer.send(Command.DATA, Envelope.response(424242, Map.of(), bytes("late")).encode());
      peer.send(Command.DATA, Envelope.cancel(99).encode());
      peer.request(1, "echo", "still here".getBytes(StandardCharsets.UTF_8));

      assertThat(new String(peer.readResponse(1), StandardCharsets.UTF_8)).isEqualTo("still here");
    }
  }

  @Test
  void invalidType_failsTheCallNotTheSession() throws Exception {
    Session session = connect(server(ServerOptions.builder()));

    assertThatThrownBy(() -> session.request("x".repeat(256), bytes(""), Duration.ofSeconds(1)).get())
        .hasCauseInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("message type of 256 bytes outside 1..255");
    assertThat(session.state()).isEqualTo(SessionState.READY);
  }

  @Test
  void burstOfSendsFromAnotherThread_everyOneIsFlushed_withoutLaterTraffic() throws Exception {
    java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
    McpServer server = McpServer.create(ServerOptions.builder().host("127.0.0.1")
        .authenticator(io.mcp.core.auth.Authenticators.allowAll())
        .heartbeatInterval(Duration.ofSeconds(60)) // nothing else will flush a stranded write
        .handlers(MessageHandlers.builder().onAsync("burst", m -> {
          received.incrementAndGet();
          return CompletableFuture.completedFuture(null);
        }).build()).build()).start();
    closeables.add(() -> server.shutdown(Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS));
    Session session = connect(server, ClientOptions.builder("burster").heartbeatInterval(Duration.ofSeconds(60)));
    List<CompletableFuture<Void>> sends = new ArrayList<>();

    for (int i = 0; i < 500; i++) {
      sends.add(session.send("burst", bytes("#" + i)));
    }

    CompletableFuture.allOf(sends.toArray(new CompletableFuture<?>[0])).get(10, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (received.get() < 500 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(received.get()).isEqualTo(500);
  }
}
