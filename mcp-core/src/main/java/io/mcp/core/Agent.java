package io.mcp.core;

import com.google.protobuf.InvalidProtocolBufferException;
import io.mcp.core.proto.ConfigAck;
import io.mcp.core.proto.ConfigNack;
import io.mcp.core.proto.ConfigUpdate;
import io.mcp.core.proto.StatusReport;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's node side: keeps a session to a controller (reconnecting with backoff and
 * failing over between endpoints), applies every configuration update through the user's {@link
 * ConfigListener}, answers ACK or NACK, and reports health.
 *
 * <ul>
 *   <li>Every handshake carries the versions applied so far, so after any reconnect the node
 *       converges to the newest version of each service: none lost, none applied twice, never an
 *       older one. An update for a version already applied is ACKed again without calling the
 *       listener.
 *   <li>The listener runs off the event loop, one call at a time per service; a version superseded
 *       while another was being applied is skipped.
 *   <li>With a state directory, each applied configuration is also written to disk (atomically:
 *       temporary file, fsync, rename) and handed to the listener at {@link #start()}, so a
 *       restarted node starts with its last good configuration even when no controller is up.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class Agent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Agent.class);
  private static final int STATE_FORMAT = 1;

  private final AgentOptions options;
  private final McpClient client;
  private final Telemetry telemetry;
  private final ReconnectingClient connection;
  private final Map<String, ServiceState> states = new LinkedHashMap<>();
  private final Object statusLock = new Object();
  private StatusReport status = StatusReport.newBuilder().setHealth(io.mcp.core.proto.Health.HEALTHY).build();
  /** The session the last report went to, and how many reports it has had (both under statusLock). */
  private Session statusSession;
  private long statusSequence;
  private volatile boolean closed;
  /** The periodic status report; cancelled on close, since a shared event loop group outlives the agent. */
  private volatile ScheduledFuture<?> statusTask;

  private Agent(AgentOptions options) {
    this.options = options;
    for (String service : options.services()) {
      states.put(service, new ServiceState(service));
    }
    Map<String, String> metadata = new LinkedHashMap<>(options.metadata());
    if (options.services().size() > 1) {
      metadata.put(ControlMessages.SERVICES_METADATA,
          String.join(",", options.services().subList(1, options.services().size())));
    }
    metadata.put(ControlMessages.TRANSPORT_METADATA, options.transport().name());
    ClientOptions.Builder client = ClientOptions.builder(options.nodeId())
        .serviceName(options.services().get(0))
        .token(options.token())
        .tls(options.tls())
        .handlers(MessageHandlers.builder().on(ControlMessages.UPDATE, this::onUpdate).build());
    metadata.forEach(client::metadata);
    ClientOptions clientOptions = options.clientCustomizer().apply(client).build();
    this.telemetry = clientOptions.telemetry();
    this.client = McpClient.create(clientOptions);
    List<SocketAddress> addresses = new ArrayList<>();
    for (InetSocketAddress endpoint : options.endpoints()) {
      addresses.add(options.transport().connectAddress(endpoint));
    }
    this.connection = ReconnectingClient.create(this.client, addresses, options.reconnectPolicy(),
        this::appliedVersions);
    this.connection.addListener(new ConnectionListener() {
      @Override
      public void onConnected(Session session, SocketAddress endpoint) {
        sendStatus(session);
      }
    });
  }

  /** Creates an agent; {@link #start()} loads the local state and connects. */
  public static Agent create(AgentOptions options) {
    return new Agent(options);
  }

  /**
   * Hands the locally kept configuration (if a state directory is set) to the listener, then starts
   * connecting. Returns without waiting for a controller.
   */
  public Agent start() {
    if (options.stateDirectory() != null) {
      loadState();
    }
    connection.start();
    statusTask = client.eventLoopGroup().next().scheduleAtFixedRate(
        () -> connection.session().ifPresent(this::sendStatus),
        options.statusInterval().toNanos(), options.statusInterval().toNanos(), TimeUnit.NANOSECONDS);
    if (closed) {
      statusTask.cancel(false);
    }
    return this;
  }

  /** The applied version of each service (services with none applied are absent). */
  public Map<String, Long> appliedVersions() {
    Map<String, Long> out = new HashMap<>();
    for (ServiceState state : states.values()) {
      synchronized (state) {
        if (state.applied > 0) {
          out.put(state.service, state.applied);
        }
      }
    }
    return out;
  }

  /** The applied version of {@code service}. */
  public OptionalLong appliedVersion(String service) {
    ServiceState state = states.get(service);
    if (state == null) {
      return OptionalLong.empty();
    }
    synchronized (state) {
      return state.applied > 0 ? OptionalLong.of(state.applied) : OptionalLong.empty();
    }
  }

  /** Waits until {@code service} has applied {@code version} or newer; false on timeout. */
  public boolean awaitApplied(String service, long version, Duration timeout) throws InterruptedException {
    ServiceState state = Objects.requireNonNull(states.get(service), () -> "not a service of this agent: " + service);
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (state) {
      while (state.applied < version) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(state, left);
      }
      return true;
    }
  }

  /** The current session to a controller, if connected. */
  public Optional<Session> session() {
    return connection.session();
  }

  /** The connection, for its listeners and endpoint. */
  public ReconnectingClient connection() {
    return connection;
  }

  /** Reports health and metrics now (if connected) and with every periodic report. */
  public void reportStatus(Health health, Map<String, Double> metrics) {
    io.mcp.core.proto.Health wire = switch (health) {
      case HEALTHY -> io.mcp.core.proto.Health.HEALTHY;
      case DEGRADED -> io.mcp.core.proto.Health.DEGRADED;
      case UNHEALTHY -> io.mcp.core.proto.Health.UNHEALTHY;
      default -> io.mcp.core.proto.Health.HEALTH_UNKNOWN;
    };
    synchronized (statusLock) {
      status = StatusReport.newBuilder().setHealth(wire).putAllMetrics(metrics).build();
    }
    connection.session().ifPresent(this::sendStatus);
  }

  /**
   * Reads and enqueues the report under one lock (send only queues, it never blocks): concurrent
   * senders (the connect listener, the periodic task, {@link #reportStatus}) reach the wire in the
   * order they read, so an older report can never overtake and overwrite a newer one.
   */
  private void sendStatus(Session session) {
    synchronized (statusLock) {
      if (session != statusSession) {
        statusSession = session;
        statusSequence = 0;
      }
      StatusReport report = status.toBuilder().setSequence(++statusSequence).build();
      session.send(ControlMessages.STATUS, ByteBuffer.wrap(report.toByteArray()));
    }
  }

  // ------------------------------------------------------------------------------ updates

  private Reply onUpdate(Message message) throws InvalidProtocolBufferException {
    ConfigUpdate update = ConfigUpdate.parseFrom(message.body());
    ServiceState state = states.get(update.getService());
    Session session = message.session();
    if (state == null) {
      nack(session, update.getService(), update.getVersion(), "node " + options.nodeId() + " does not serve "
          + update.getService());
      return null;
    }
    Pending next = new Pending(update, session, message.headers());
    synchronized (state) {
      if (update.getVersion() <= state.applied) {
        ack(session, update.getService(), update.getVersion()); // duplicate: idempotent, not applied again
        return null;
      }
      if (state.applying) {
        if (state.pending == null || state.pending.update.getVersion() < update.getVersion()) {
          state.pending = next; // only the newest waiting version is kept: intermediate ones are skipped
        }
        return null;
      }
      state.applying = true;
    }
    while (next != null) {
      applyOne(state, next);
      synchronized (state) {
        next = state.pending;
        state.pending = null;
        if (next == null || next.update.getVersion() <= state.applied) {
          state.applying = false;
          if (next != null) {
            ack(next.session, next.update.getService(), next.update.getVersion());
          }
          next = null;
        }
      }
    }
    return null;
  }

  private void applyOne(ServiceState state, Pending pending) {
    ConfigUpdate update = pending.update;
    Telemetry.AgentTrace trace = telemetry.updateReceived(update.getService(), update.getVersion(), pending.headers);
    try {
      options.configListener().apply(update.getService(), update.getVersion(), update.getConfigData().asReadOnlyByteBuffer());
    } catch (Exception e) {
      String reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
      log.warn("node {} rejects {}@{}: {}", options.nodeId(), update.getService(), update.getVersion(), reason);
      nack(pending.session, update.getService(), update.getVersion(), reason);
      trace.answered(reason);
      return;
    }
    if (options.stateDirectory() != null) {
      try {
        persist(update.getService(), update.getVersion(), update.getConfigData().toByteArray());
      } catch (IOException e) {
        log.warn("node {}: could not keep {}@{} on disk: {}", options.nodeId(), update.getService(),
            update.getVersion(), e.toString());
      }
    }
    synchronized (state) {
      state.applied = Math.max(state.applied, update.getVersion());
      state.notifyAll();
    }
    log.info("node {} applied {}@{}", options.nodeId(), update.getService(), update.getVersion());
    ack(pending.session, update.getService(), update.getVersion());
    trace.answered(null);
  }

  private void ack(Session session, String service, long version) {
    session.send(ControlMessages.ACK,
        ByteBuffer.wrap(ConfigAck.newBuilder().setService(service).setVersion(version).build().toByteArray()));
  }

  private void nack(Session session, String service, long version, String reason) {
    session.send(ControlMessages.NACK, ByteBuffer.wrap(ConfigNack.newBuilder().setService(service)
        .setVersion(version).setReason(reason).build().toByteArray()));
  }

  private record Pending(ConfigUpdate update, Session session, Map<String, String> headers) {}

  private static final class ServiceState {
    final String service;
    long applied;
    boolean applying;
    Pending pending;

    ServiceState(String service) {
      this.service = service;
    }
  }

  // -------------------------------------------------------------------------------- state

  private Path stateFile(String service) {
    return options.stateDirectory().resolve(URLEncoder.encode(service, StandardCharsets.UTF_8) + ".config");
  }

  /** Writes version and bytes to a temporary file, forces it, then renames it over the old one. */
  private void persist(String service, long version, byte[] data) throws IOException {
    Files.createDirectories(options.stateDirectory());
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(data.length + 16);
    try (DataOutputStream out = new DataOutputStream(buffer)) {
      out.writeInt(STATE_FORMAT);
      out.writeLong(version);
      out.writeInt(data.length);
      out.write(data);
    }
    Path target = stateFile(service);
    Path temp = target.resolveSibling(target.getFileName() + ".tmp");
    try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer bytes = ByteBuffer.wrap(buffer.toByteArray());
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
      channel.force(true);
    }
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private void loadState() {
    for (ServiceState state : states.values()) {
      Path file = stateFile(state.service);
      if (!Files.isRegularFile(file)) {
        continue;
      }
      long version;
      byte[] data;
      try (InputStream in = Files.newInputStream(file); DataInputStream din = new DataInputStream(in)) {
        int format = din.readInt();
        if (format != STATE_FORMAT) {
          log.warn("node {}: ignoring {} (format {}, expected {})", options.nodeId(), file, format, STATE_FORMAT);
          continue;
        }
        version = din.readLong();
        int length = din.readInt();
        if (length < 0 || length > 64 * 1024 * 1024) {
          log.warn("node {}: ignoring {} (length {})", options.nodeId(), file, length);
          continue;
        }
        data = din.readNBytes(length);
        if (data.length != length) {
          log.warn("node {}: ignoring truncated {}", options.nodeId(), file);
          continue;
        }
      } catch (IOException e) {
        log.warn("node {}: cannot read {}: {}", options.nodeId(), file, e.toString());
        continue;
      }
      try {
        options.configListener().apply(state.service, version, ByteBuffer.wrap(data).asReadOnlyBuffer());
        synchronized (state) {
          state.applied = version;
          state.notifyAll();
        }
        log.info("node {} started with its kept {}@{}", options.nodeId(), state.service, version);
      } catch (Exception e) {
        log.warn("node {}: the kept {}@{} was rejected at start: {}", options.nodeId(), state.service, version,
            e.toString());
      }
    }
  }

  /** Stops: closes the session (NORMAL) and releases the client. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    ScheduledFuture<?> status = statusTask;
    if (status != null) {
      status.cancel(false);
    }
    connection.close();
    client.close();
    options.transport().close();
  }
}
