package io.mcp.benchmarks.messaging;

import io.mcp.codec.ErrorCode;
import io.mcp.core.ClientOptions;
import io.mcp.core.McpClient;
import io.mcp.core.McpServer;
import io.mcp.core.MessageHandlers;
import io.mcp.core.Reply;
import io.mcp.core.RequestException;
import io.mcp.core.ServerOptions;
import io.mcp.core.Session;
import io.mcp.core.auth.Authenticators;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The MCP side: an {@link McpServer} with non-blocking handlers ({@code "t"} counts one-way
 * messages, {@code "echo"} answers a request with its body) and one {@link McpClient} (its own
 * single event loop) holding every session, all on 127.0.0.1 with the public API and default limits.
 */
final class McpRunner {
  static final String ONE_WAY_TYPE = "t";
  static final String ECHO_TYPE = "echo";
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  private static final CompletionStage<Reply> NO_REPLY = CompletableFuture.completedFuture(null);

  private McpRunner() {}

  static Measurement run(DriverOptions o, Scenario scenario, int width) throws Exception {
    LongAdder received = new LongAdder();
    MessageHandlers handlers = MessageHandlers.builder()
        .onAsync(ONE_WAY_TYPE, message -> {
          received.increment();
          return NO_REPLY;
        })
        .onAsync(ECHO_TYPE, message -> CompletableFuture.completedFuture(Reply.of(message.body())))
        .build();
    McpServer server = McpServer.create(ServerOptions.builder()
        .host("127.0.0.1")
        .port(0)
        .authenticator(Authenticators.allowAll())
        .ioThreads(o.serverThreads)
        .handlers(handlers)
        .build()).start();
    McpClient client = McpClient.create(ClientOptions.builder("bench").build());
    try {
      InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
      int connections = scenario == Scenario.ONE_WAY ? width : 1;
      List<Session> sessions = new ArrayList<>();
      for (int i = 0; i < connections; i++) {
        sessions.add(client.connect(address).get(10, TimeUnit.SECONDS));
      }
      if (scenario == Scenario.ONE_WAY) {
        return oneWay(o, sessions, received, client.eventLoopGroup().next());
      }
      // The client owns one event loop, so it is the session's: requests chained from completion
      // callbacks (which run there) and the first batch issued there never cross threads.
      return requests(o, scenario, width, sessions.get(0), client.eventLoopGroup().next());
    } finally {
      client.close();
      server.shutdown(Duration.ofSeconds(1)).get(10, TimeUnit.SECONDS);
    }
  }

  private static Measurement oneWay(DriverOptions o, List<Session> sessions, LongAdder received, EventLoop loop)
      throws Exception {
    List<OneWayProducer> producers = new ArrayList<>();
    if (o.producerOnLoop) {
      producers.add(OneWayProducer.onLoop(new Sink(sessions, o.bodyBytes), o.burst, loop));
    } else {
      int threads = Math.min(o.producers, sessions.size());
      for (int p = 0; p < threads; p++) {
        producers.add(OneWayProducer.onThread(new Sink(sessions, o.bodyBytes), p, threads, o.burst,
            "mcp-producer-" + p));
      }
    }
    producers.forEach(OneWayProducer::start);
    Window window;
    try {
      window = Window.measure(received::sum, o.warmupSeconds, o.seconds, () -> { }, () -> { });
    } finally {
      for (OneWayProducer p : producers) {
        p.stop();
      }
    }
    reportUnflushed(sessions);
    long notWritable = 0;
    long refused = 0;
    long parks = 0;
    for (OneWayProducer p : producers) {
      notWritable += p.notWritable;
      refused += p.refused;
      parks += p.parks;
    }
    return new Measurement(Scenario.ONE_WAY, Implementation.MCP, sessions.size(), window.count, window.elapsedNanos,
        notWritable, refused, parks, null);
  }

  /**
   * Prints how many sessions still hold bytes the socket has not taken, a while after the producer
   * stopped: with nothing left to send, a healthy session drains within milliseconds, so what is
   * left there was written but never flushed.
   */
  private static void reportUnflushed(List<Session> sessions) throws InterruptedException {
    TimeUnit.SECONDS.sleep(1);
    int holding = 0;
    long bytes = 0;
    for (Session session : sessions) {
      long queued = session.queuedBytes();
      if (queued > 0) {
        holding++;
        bytes += queued;
      }
    }
    System.out.println("NOTE 1 s after the producer stopped, " + holding + " of " + sessions.size()
        + " sessions still hold " + bytes + " queued bytes");
  }

  /** Sends {@code session.send("t", body)}; OVERLOADED is a refusal, anything else ends the run. */
  private static final class Sink implements OneWaySink {
    private final Session[] sessions;
    private final ByteBuffer body;

    Sink(List<Session> sessions, int bodyBytes) {
      this.sessions = sessions.toArray(new Session[0]);
      this.body = ByteBuffer.wrap(Payloads.body(bodyBytes));
    }

    @Override
    public int connections() {
      return sessions.length;
    }

    @Override
    public boolean isWritable(int index) {
      return sessions[index].isWritable();
    }

    @Override
    public boolean send(int index) {
      CompletableFuture<Void> sent = sessions[index].send(ONE_WAY_TYPE, body);
      if (!sent.isCompletedExceptionally()) {
        return true;
      }
      Throwable cause = causeOf(sent);
      if (cause instanceof RequestException && ((RequestException) cause).errorCode().equals(ErrorCode.OVERLOADED)) {
        return false;
      }
      throw new IllegalStateException("send failed", cause);
    }

    @Override
    public void endBurst(int index) {
      // MCP flushes by itself, once per event-loop turn.
    }
  }

  private static Throwable causeOf(CompletableFuture<?> failed) {
    try {
      failed.join();
      return null;
    } catch (CompletionException e) {
      return e.getCause();
    }
  }

  private static Measurement requests(DriverOptions o, Scenario scenario, int inFlight, Session session,
      EventLoop loop) throws Exception {
    RequestLoop requests = new RequestLoop(session, loop, inFlight, o.bodyBytes, recorderCapacity(o));
    requests.start();
    Window window = Window.measure(requests.completed::get, o.warmupSeconds, o.seconds,
        () -> requests.recording = true, () -> requests.recording = false);
    requests.stop();
    return new Measurement(scenario, Implementation.MCP, inFlight, window.count, window.elapsedNanos, 0, 0, 0,
        requests.recorder.percentiles());
  }

  static int recorderCapacity(DriverOptions o) {
    return (int) Math.min(64L << 20, 2_000_000L * o.seconds);
  }

  /**
   * Keeps {@code inFlight} requests outstanding on one session. Every request is issued on the
   * client's event loop: the first batch from a task, each further one from the completion callback
   * of the one it replaces (a reply completes its future on that loop), so no thread hand-off sits
   * in the measured round trip. All fields but the volatile ones are confined to that loop.
   */
  private static final class RequestLoop {
    final AtomicLong completed = new AtomicLong();
    final LatencyRecorder recorder;
    volatile boolean recording;
    private volatile boolean stopping;
    private final Session session;
    private final EventLoop loop;
    private final int inFlight;
    private final int bodyBytes;
    private final ByteBuffer body;
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private int outstanding;

    RequestLoop(Session session, EventLoop loop, int inFlight, int bodyBytes, int recorderCapacity) {
      this.session = session;
      this.loop = loop;
      this.inFlight = inFlight;
      this.bodyBytes = bodyBytes;
      this.body = ByteBuffer.wrap(Payloads.body(bodyBytes));
      this.recorder = new LatencyRecorder(recorderCapacity);
    }

    void start() {
      loop.execute(() -> {
        for (int i = 0; i < inFlight; i++) {
          issue();
        }
      });
    }

    /** Lets the outstanding requests finish, issuing no more. */
    void stop() throws Exception {
      stopping = true;
      drained.get(30, TimeUnit.SECONDS);
    }

    private void issue() {
      outstanding++;
      long start = System.nanoTime();
      session.request(ECHO_TYPE, body, REQUEST_TIMEOUT).whenComplete((reply, error) -> onReply(start, reply, error));
    }

    private void onReply(long start, Reply reply, Throwable error) {
      long nanos = System.nanoTime() - start;
      outstanding--;
      if (error != null) {
        drained.completeExceptionally(error);
        return;
      }
      if (reply.body().remaining() != bodyBytes) {
        drained.completeExceptionally(new IllegalStateException("echo of " + reply.body().remaining()
            + " bytes, sent " + bodyBytes));
        return;
      }
      completed.incrementAndGet();
      if (recording) {
        recorder.record(nanos);
      }
      if (!stopping) {
        issue();
      } else if (outstanding == 0) {
        drained.complete(null);
      }
    }
  }
}
