package io.mcp.core.metrics;

import io.mcp.codec.Command;
import io.mcp.codec.ErrorCode;
import io.mcp.core.ControlMessages;
import io.mcp.core.Session;
import io.mcp.core.SessionClose;
import io.mcp.core.SessionState;
import io.mcp.core.Telemetry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * MCP's metrics as a Micrometer {@link MeterBinder}; Micrometer is an optional dependency of
 * mcp-core, needed only by applications that use this class.
 *
 * <pre>{@code
 * McpMetrics metrics = McpMetrics.create();
 * Controller controller = Controller.create(ControllerOptions.builder(
 *     ServerOptions.builder().port(7400).telemetry(metrics).build(), store).build());
 * metrics.bindTo(meterRegistry);
 * }</pre>
 *
 * <p>One instance may serve a server, a controller and clients of one process (their numbers add
 * up) and may be bound to several registries. Hooks that fire before {@link #bindTo} are counted
 * for the per-frame counters and dropped for timers.
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th></tr>
 *   <tr><td>{@code mcp.sessions}</td><td>gauge</td><td>{@code state} (handshaking, ready,
 *       closing), {@code transport} (tcp, grpc, ...; {@code unknown} before the Hello)</td></tr>
 *   <tr><td>{@code mcp.handshakes}</td><td>counter</td><td>{@code result}: {@code ok} or the
 *       CLOSE code that ended the handshake (UNAUTHENTICATED, HANDSHAKE_TIMEOUT, ...)</td></tr>
 *   <tr><td>{@code mcp.sessions.closed}</td><td>counter</td><td>{@code code}, {@code initiator}
 *       (local, remote, transport): sessions that had been READY</td></tr>
 *   <tr><td>{@code mcp.slow.consumer.closes}</td><td>counter</td><td>-</td></tr>
 *   <tr><td>{@code mcp.frames.received}, {@code mcp.frames.sent}</td><td>function counter</td>
 *       <td>{@code command} on received (HANDSHAKE, DATA, HEARTBEAT, CLOSE, EXTENSION)</td></tr>
 *   <tr><td>{@code mcp.bytes.received}, {@code mcp.bytes.sent}</td><td>function counter</td>
 *       <td>- (frame bytes, header included; TLS overhead excluded)</td></tr>
 *   <tr><td>{@code mcp.heartbeat.rtt}</td><td>timer</td><td>-</td></tr>
 *   <tr><td>{@code mcp.requests.sent}, {@code mcp.requests.handled}</td><td>timer</td>
 *       <td>{@code type} (message type; at most {@value #MAX_TYPES} distinct, then {@code other}),
 *       {@code outcome} ({@code ok} or the error code)</td></tr>
 *   <tr><td>{@code mcp.config.applies}</td><td>counter</td><td>{@code service}</td></tr>
 *   <tr><td>{@code mcp.config.answers}</td><td>counter</td><td>{@code service}, {@code result}
 *       ({@code ack}, {@code nack})</td></tr>
 *   <tr><td>{@code mcp.rollout.duration}</td><td>timer</td><td>{@code service}, {@code outcome}
 *       (complete, halted, rolled_back, superseded)</td></tr>
 *   <tr><td>{@code mcp.outbound.queued.bytes}</td><td>gauge</td><td>- (bytes accepted by
 *       sessions and not yet taken by their sockets: the push queue depth)</td></tr>
 * </table>
 */
public final class McpMetrics implements MeterBinder, Telemetry {

  /** Distinct message types tagged before the rest count as {@code other}. */
  public static final int MAX_TYPES = 100;

  private static final String[] STATES = {"handshaking", "ready", "closing"};

  private final CompositeMeterRegistry registry = new CompositeMeterRegistry();
  private final Set<Session> live = ConcurrentHashMap.newKeySet();
  private final LongAdder[] framesReceived = new LongAdder[5];
  private final LongAdder framesSent = new LongAdder();
  private final LongAdder bytesReceived = new LongAdder();
  private final LongAdder bytesSent = new LongAdder();
  private final Set<String> types = ConcurrentHashMap.newKeySet();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private final Timer rtt;
  private final Counter slowConsumerCloses;

  private McpMetrics() {
    for (int i = 0; i < framesReceived.length; i++) {
      framesReceived[i] = new LongAdder();
    }
    rtt = Timer.builder("mcp.heartbeat.rtt").description("heartbeat round-trip time").register(registry);
    slowConsumerCloses = Counter.builder("mcp.slow.consumer.closes")
        .description("sessions closed because they did not read their updates").register(registry);
  }

  /** A new, unbound instance. */
  public static McpMetrics create() {
    return new McpMetrics();
  }

  @Override
  public void bindTo(MeterRegistry target) {
    String[] commands = {"HANDSHAKE", "DATA", "HEARTBEAT", "CLOSE", "EXTENSION"};
    for (int i = 0; i < commands.length; i++) {
      FunctionCounter.builder("mcp.frames.received", framesReceived[i], LongAdder::doubleValue)
          .tag("command", commands[i]).description("MCP/1 frames received").register(target);
    }
    FunctionCounter.builder("mcp.frames.sent", framesSent, LongAdder::doubleValue)
        .description("MCP/1 frames written").register(target);
    FunctionCounter.builder("mcp.bytes.received", bytesReceived, LongAdder::doubleValue)
        .baseUnit("bytes").description("MCP/1 frame bytes received").register(target);
    FunctionCounter.builder("mcp.bytes.sent", bytesSent, LongAdder::doubleValue)
        .baseUnit("bytes").description("MCP/1 frame bytes written").register(target);
    for (String state : STATES) {
      for (String transport : new String[] {"tcp", "grpc", "unknown"}) {
        Gauge.builder("mcp.sessions", this, m -> m.count(state, transport))
            .tags("state", state, "transport", transport).description("live sessions").register(target);
      }
    }
    Gauge.builder("mcp.outbound.queued.bytes", this, McpMetrics::queuedBytes).baseUnit("bytes")
        .description("bytes accepted by sessions and not yet written to their sockets").register(target);
    registry.add(target);
  }

  private double count(String state, String transport) {
    int n = 0;
    for (Session session : live) {
      if (stateTag(session.state()).equals(state) && transportTag(session).equals(transport)) {
        n++;
      }
    }
    return n;
  }

  private double queuedBytes() {
    long sum = 0;
    for (Session session : live) {
      sum += session.queuedBytes();
    }
    return sum;
  }

  private static String stateTag(SessionState state) {
    switch (state) {
      case CONNECTING:
      case HANDSHAKING:
        return "handshaking";
      case READY:
        return "ready";
      default:
        return "closing";
    }
  }

  private static String transportTag(Session session) {
    if (session.state() == SessionState.HANDSHAKING || session.state() == SessionState.CONNECTING) {
      return "unknown";
    }
    String transport = session.metadata().getOrDefault(ControlMessages.TRANSPORT_METADATA, "tcp")
        .toLowerCase(Locale.ROOT);
    return transport.equals("grpc") ? "grpc" : transport.equals("tcp") ? "tcp" : "unknown";
  }

  // ------------------------------------------------------------------------------ sessions

  @Override
  public void sessionOpened(Session session) {
    live.add(session);
  }

  @Override
  public void handshakeSucceeded(Session session) {
    counter("mcp.handshakes", "MCP/1 handshakes by result", "result", "ok").increment();
  }

  @Override
  public void handshakeFailed(Session session, SessionClose close) {
    live.remove(session);
    counter("mcp.handshakes", "MCP/1 handshakes by result", "result", close.code().name()).increment();
  }

  @Override
  public void sessionClosed(Session session, SessionClose close) {
    live.remove(session);
    counter("mcp.sessions.closed", "READY sessions closed, by CLOSE code", "code", close.code().name(),
        "initiator", close.initiator().name().toLowerCase(Locale.ROOT)).increment();
  }

  @Override
  public void slowConsumerClosed(Session session) {
    slowConsumerCloses.increment();
  }

  @Override
  public void frameReceived(Command command, int bytes) {
    int code = command.code();
    framesReceived[code >= 1 && code <= 4 ? code - 1 : 4].increment();
    bytesReceived.add(bytes);
  }

  @Override
  public void frameSent(int bytes) {
    framesSent.increment();
    bytesSent.add(bytes);
  }

  @Override
  public void heartbeatRtt(Session session, long rttNanos) {
    rtt.record(rttNanos, TimeUnit.NANOSECONDS);
  }

  // ------------------------------------------------------------------------------ requests

  @Override
  public void requestCompleted(String type, ErrorCode error, long nanos) {
    timer("mcp.requests.sent", "requests this side sent, until their answer", "type", typeTag(type),
        "outcome", outcome(error)).record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void requestHandled(String type, ErrorCode error, long nanos) {
    timer("mcp.requests.handled", "requests from peers, until answered", "type", typeTag(type),
        "outcome", outcome(error)).record(nanos, TimeUnit.NANOSECONDS);
  }

  private String typeTag(String type) {
    if (types.contains(type)) {
      return type;
    }
    if (types.size() < MAX_TYPES) {
      types.add(type);
      return type;
    }
    return "other";
  }

  private static String outcome(ErrorCode error) {
    return error == null ? "ok" : error.name();
  }

  // ------------------------------------------------------------------------- control plane

  @Override
  public void configApplied(String service, long version) {
    counter("mcp.config.applies", "configuration versions applied", "service", service).increment();
  }

  @Override
  public void configAnswered(String service, long version, String nodeId, boolean acked) {
    counter("mcp.config.answers", "agents' answers to updates", "service", service,
        "result", acked ? "ack" : "nack").increment();
  }

  @Override
  public void rolloutFinished(String service, long version, String outcome, long nanos) {
    timer("mcp.rollout.duration", "from apply to the rollout's end", "service", service, "outcome", outcome)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  // --------------------------------------------------------------------------------- cache

  private Counter counter(String name, String description, String... tags) {
    return counters.computeIfAbsent(key(name, tags), k -> Counter.builder(name).description(description)
        .tags(Tags.of(tags)).register(registry));
  }

  private Timer timer(String name, String description, String... tags) {
    return timers.computeIfAbsent(key(name, tags), k -> Timer.builder(name).description(description)
        .tags(Tags.of(tags)).register(registry));
  }

  private static String key(String name, String... tags) {
    return tags.length == 2 ? name + '\0' + tags[1] : name + '\0' + String.join("\0", tags);
  }

  @Override
  public String toString() {
    return "McpMetrics";
  }
}
