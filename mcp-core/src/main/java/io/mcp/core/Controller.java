package io.mcp.core;

import com.google.protobuf.InvalidProtocolBufferException;
import io.mcp.codec.CloseCode;
import io.mcp.codec.ErrorCode;
import io.mcp.core.internal.EventHub;
import io.mcp.core.internal.NettySession;
import io.mcp.core.proto.ApplyRequest;
import io.mcp.core.proto.ApplyResponse;
import io.mcp.core.proto.ConfigAck;
import io.mcp.core.proto.ConfigNack;
import io.mcp.core.proto.ConfigUpdate;
import io.mcp.core.proto.StatusReport;
import io.mcp.core.spi.ConfigStore;
import io.mcp.core.spi.ConfigVersion;
import io.mcp.core.spi.FleetPresence;
import io.mcp.core.spi.NodePresence;
import io.mcp.core.spi.NodeRecord;
import io.mcp.core.spi.RolloutPolicy;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's server side: keeps versioned configuration per service in a {@link
 * ConfigStore}, pushes it to the agents of each service, and closes the loop on every rollout.
 *
 * <ul>
 *   <li>{@link #apply} stores a new version durably before it returns, then rolls it out with a
 *       {@link RolloutPolicy}; {@link #awaitRollout} answers read-your-writes questions.
 *   <li>Every agent answers each update with ACK or NACK. A node is sent a version only if it is
 *       newer than both what the node applied and what it last rejected: no NACK loops, never an
 *       older version, never one twice. On (re)connect it gets the newest released version it lacks;
 *       superseded versions are skipped.
 *   <li>A push is encoded once and the same bytes are written to every target session, in batches
 *       paced by socket progress, so heartbeats keep flowing during fan-outs to thousands of agents;
 *       the pacing does not wait for a session that is not writable, so one slow agent holds back
 *       neither the others nor later versions.
 *       A session whose outbound budget is exhausted by a push is closed with SLOW_CONSUMER; it gets
 *       the newest version when it reconnects.
 *   <li>Agents only receive services their identity allows; only identities with the admin role
 *       may apply over MCP ({@link ControlMessages#ADMIN_APPLY}).
 *   <li>The fleet view ({@link #nodes()}) and events ({@link #subscribe}) are kept for any number of
 *       subscribers; a slow one is coalesced and told it lagged, never stalling the controller.
 *   <li>Several replicas sharing a store: versions appended by any replica reach every replica's
 *       agents (through {@link ConfigStore#watch}). With a {@link FleetPresence} (the store's, or
 *       {@link ControllerOptions.Builder#fleetPresence}), {@link #nodes()} also lists the nodes of the
 *       other replicas, and agents beyond this replica's share are sent GOING_AWAY ({@link
 *       LoadShedding}).
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class Controller implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Controller.class);
  static final Duration FANOUT_STEP_WAIT = Duration.ofSeconds(2);
  /** How often a paced fan-out looks again for sessions that stopped being writable. */
  static final Duration PROGRESS_POLL = Duration.ofMillis(10);

  private final ControllerOptions options;
  private final ConfigStore store;
  private final McpServer server;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Node> nodes = new HashMap<>();
  private final Map<String, ServiceState> services = new HashMap<>();
  private final Map<String, ReentrantLock> applyLocks = new ConcurrentHashMap<>();
  /** awaitRollout callers by service; each keeps its own counts, updated per answer in O(1). */
  private final Map<String, List<Waiter>> waiters = new HashMap<>();
  /** Waiters decided under the lock, completed by {@link #unlock()} once it is released. */
  private final List<Runnable> decidedWaiters = new ArrayList<>();
  private final ScheduledExecutorService rolloutExecutor;
  /** Completes {@link #rolloutFuture} futures, so their callers' dependent stages run off the lock and the event pool. */
  private final ExecutorService waiterExecutor;
  private final EventHub events;
  private AutoCloseable storeWatch;
  /** The server options' telemetry: it receives the control-plane hooks too. */
  private final Telemetry telemetry;
  /** Null: this controller's nodes only. */
  private final FleetPresence presence;
  /** Runs presence announcements in session order, off the network threads; null without presence. */
  private final ExecutorService presenceExecutor;
  /**
   * Reads the other replicas' nodes and their ledger entries for rollout waits, so that a wait on
   * one replica counts the whole fleet; null without presence.
   */
  private final ScheduledExecutorService remoteAnswers;
  /** How often a rollout wait reads the other replicas' nodes' answers from the shared ledger. */
  static final Duration REMOTE_POLL = Duration.ofMillis(200);
  private ScheduledFuture<?> shedding;
  private ScheduledFuture<?> forgetting;
  private AutoCloseable presenceWatch;

  private Controller(ControllerOptions options) {
    this.options = options;
    this.store = options.store();
    this.telemetry = options.serverOptions().telemetry();
    this.rolloutExecutor = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("mcp-rollout", true));
    ThreadPoolExecutor waiters = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        new DefaultThreadFactory("mcp-rollout-waiters", true));
    waiters.allowCoreThreadTimeOut(true);
    this.waiterExecutor = waiters;
    this.events = new EventHub("mcp-events", EventHub.defaultThreads(), options.subscriberBufferSize(),
        options.clock());
    this.presence = options.fleetPresence().orElse(null);
    this.presenceExecutor = presence == null ? null
        : Executors.newSingleThreadExecutor(new DefaultThreadFactory("mcp-presence", true));
    this.remoteAnswers = presence == null ? null
        : Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("mcp-remote-answers", true));
    ServerOptions serverOptions = options.serverOptions().toBuilder()
        .handlers(MessageHandlers.builder()
            .on(ControlMessages.ACK, this::onAck)
            .on(ControlMessages.NACK, this::onNack)
            .on(ControlMessages.STATUS, this::onStatus)
            .on(ControlMessages.ADMIN_APPLY, this::onAdminApply)
            .build())
        .addListener(new SessionListener() {
          @Override
          public void onReady(Session session) {
            onSessionReady(session);
          }

          @Override
          public void onClosed(Session session, SessionClose close) {
            onSessionClosed(session, close);
          }
        })
        .build();
    this.server = McpServer.create(serverOptions);
  }

  /** Creates a controller; {@link #start()} binds its MCP/1 server. */
  public static Controller create(ControllerOptions options) {
    return new Controller(options);
  }

  /** Starts serving MCP/1 and watching the store. */
  public Controller start() {
    storeWatch = store.watch(this::onStoreVersion);
    try {
      server.start();
    } catch (RuntimeException e) {
      try {
        storeWatch.close();
      } catch (Exception ignored) {
        // the bind failure is what the caller needs to see
      }
      storeWatch = null;
      throw e;
    }
    long retention = options.disconnectedNodeRetention().toNanos();
    if (retention > 0) {
      long every = Math.max(TimeUnit.SECONDS.toNanos(1), Math.min(retention / 4, TimeUnit.MINUTES.toNanos(1)));
      forgetting = rolloutExecutor.scheduleWithFixedDelay(logged("forgetting disconnected nodes",
          this::forgetDisconnectedNodes), every, every, TimeUnit.NANOSECONDS);
    }
    if (presence != null) {
      try {
        presenceWatch = presence.watchNodes(this::onRemoteChange);
      } catch (RuntimeException e) {
        log.warn("fleet presence: cannot watch the other replicas' nodes, events stay local: {}", e.toString());
      }
      announce("replica " + presence.replicaId() + " started", presence::replicaStarted);
      LoadShedding policy = options.loadShedding();
      if (policy.enabled()) {
        long every = policy.interval().toNanos();
        shedding = rolloutExecutor.scheduleWithFixedDelay(logged("load shedding", this::shedLoad), every, every,
            TimeUnit.NANOSECONDS);
      }
    }
    return this;
  }

  /**
   * Forgets nodes disconnected for longer than {@link ControllerOptions#disconnectedNodeRetention}
   * (by the controller's clock). Rollout thread.
   *
   * @return how many nodes were forgotten
   */
  int forgetDisconnectedNodes() {
    Duration retention = options.disconnectedNodeRetention();
    if (retention.isZero()) {
      return 0;
    }
    Instant cutoff = options.clock().instant().minus(retention);
    int forgotten = 0;
    lock.lock();
    try {
      for (var it = nodes.values().iterator(); it.hasNext(); ) {
        Node node = it.next();
        if (!node.connected() && node.lastSeen.isBefore(cutoff)) {
          it.remove();
          forgotten++;
        }
      }
    } finally {
      unlock();
    }
    if (forgotten > 0) {
      log.debug("forgot {} node(s) disconnected for more than {}", forgotten, retention);
    }
    return forgotten;
  }

  /**
   * Releases the controller's lock; the outermost release then completes the awaitRollout futures
   * decided under it. Those futures have no dependent stages of users (see {@link #rolloutFuture}),
   * so completing them here only wakes the waiting threads: nothing foreign runs under the lock or
   * on the caller's thread, and no executor is needed that a slow listener could occupy.
   */
  private void unlock() {
    List<Runnable> complete = null;
    if (lock.getHoldCount() == 1 && !decidedWaiters.isEmpty()) {
      complete = new ArrayList<>(decidedWaiters);
      decidedWaiters.clear();
    }
    lock.unlock();
    if (complete != null) {
      for (Runnable completion : complete) {
        completion.run();
      }
    }
  }

  /**
   * Runs a step on the rollout thread. After {@link #shutdown} there is nothing left to continue:
   * the step is dropped, so callers on session-close and handler paths (which must still wake
   * waiters and publish events) never see the executor's rejection. A step that throws is logged
   * (the executor would keep the exception in a future nobody reads); rollout steps also end their
   * rollout (see {@link Rollout#guarded}).
   */
  private void onRolloutThread(String what, Runnable step) {
    try {
      rolloutExecutor.execute(logged(what, step));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.debug("controller shut down: {} dropped", what);
    }
  }

  /** {@link #onRolloutThread} after {@code delayNanos}; null once shut down. */
  private ScheduledFuture<?> onRolloutThreadLater(String what, Runnable step, long delayNanos) {
    try {
      return rolloutExecutor.schedule(logged(what, step), delayNanos, TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.debug("controller shut down: {} dropped", what);
      return null;
    }
  }

  private static Runnable logged(String what, Runnable step) {
    return () -> {
      try {
        step.run();
      } catch (RuntimeException e) {
        log.warn("{} failed: {}", what, e.toString(), e);
      }
    };
  }

  /** For tests: waits until the rollout thread ran every step queued before this call (not the delayed ones). */
  void awaitRolloutThread(Duration timeout) throws Exception {
    rolloutExecutor.submit(() -> { }).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Runs a presence announcement on the presence thread; a failure is logged, never thrown. */
  private void announce(String what, Runnable call) {
    try {
      presenceExecutor.execute(() -> {
        try {
          call.run();
        } catch (RuntimeException e) {
          log.warn("fleet presence: {} could not be announced: {}", what, e.toString());
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.debug("fleet presence: {} not announced, the controller is shutting down", what);
    }
  }

  /**
   * A node came to or left another replica: published as CONNECTED or DISCONNECTED unless the node
   * is connected here (its own events come from its session).
   */
  private void onRemoteChange(FleetPresence.Change change) {
    NodePresence remote = change.node();
    if (remote.replicaId().equals(presence.replicaId())) {
      return;
    }
    lock.lock();
    try {
      Node local = nodes.get(remote.nodeId());
      if (local != null && local.connected()) {
        return;
      }
    } finally {
      unlock();
    }
    NodeView view = remoteView(remote);
    if (!change.connected()) {
      view = new NodeView(view.nodeId(), view.services(), view.metadata(), view.transport(), "", false,
          view.appliedVersions(), Map.of(), Health.UNKNOWN, Map.of(), options.clock().instant(), Optional.empty());
    }
    events.publish(new FleetEvent(change.connected() ? FleetEvent.Type.CONNECTED : FleetEvent.Type.DISCONNECTED,
        view, String.join(",", remote.services()), 0, "replica " + remote.replicaId(), options.clock().instant()));
  }

  /** Rollout thread: closes agents beyond this replica's share with GOING_AWAY. */
  private void shedLoad() {
    FleetPresence.Fleet fleet;
    try {
      fleet = presence.fleet();
    } catch (RuntimeException e) {
      log.debug("load shedding skipped, the fleet cannot be read: {}", e.toString());
      return;
    }
    Set<String> all = new HashSet<>();
    for (NodePresence node : fleet.nodes()) {
      all.add(node.nodeId());
    }
    List<Node> local = new ArrayList<>();
    lock.lock();
    try {
      for (Node node : nodes.values()) {
        if (node.connected() && !node.services.isEmpty()) {
          local.add(node);
        }
      }
      all.addAll(local.stream().map(n -> n.nodeId).toList());
      local.sort(Comparator.comparing((Node n) -> n.connectedAt).reversed());
    } finally {
      unlock();
    }
    int replicas = fleet.replicaIds().size();
    int excess = options.loadShedding().excess(local.size(), all.size(), replicas);
    if (excess <= 0) {
      return;
    }
    int share = (int) Math.ceil((double) all.size() / replicas);
    log.info("replica {} holds {} of {} agents over {} replicas (share {}): sending {} GOING_AWAY",
        presence.replicaId(), local.size(), all.size(), replicas, share, excess);
    for (Node node : local.subList(0, excess)) {
      Session session = node.session;
      if (session != null) {
        session.close(CloseCode.GOING_AWAY, "load shedding: replica " + presence.replicaId() + " holds "
            + local.size() + " agents, above its share of " + share + "; reconnect to another replica");
      }
    }
  }

  /** The MCP/1 server's bound port. */
  public int port() {
    return server.port();
  }

  /** The MCP/1 server (for its address, sessions and counters). */
  public McpServer server() {
    return server;
  }

  /** The store. */
  public ConfigStore store() {
    return store;
  }

  // ------------------------------------------------------------------------------------- apply

  /** {@link #apply(String, byte[], RolloutPolicy)} with the default policy. */
  public long apply(String service, byte[] data) {
    return apply(service, data, options.defaultPolicy());
  }

  /**
   * Stores {@code data} as the next version of {@code service} (durable when this returns), then
   * starts rolling it out with {@code policy}. A rollout still running for the service is
   * superseded: configuration is state, the newest wins.
   *
   * @return the new version
   * @throws io.mcp.core.spi.StoreException if the store could not commit; nothing was pushed
   */
  public long apply(String service, byte[] data, RolloutPolicy policy) {
    checkService(service);
    ReentrantLock applyLock = applyLocks.computeIfAbsent(service, s -> new ReentrantLock());
    applyLock.lock();
    try {
      ConfigVersion version = store.append(service, data);
      telemetry.configApplied(service, version.version());
      log.info("applied {} ({} bytes), rolling out {}", service + "@" + version.version(), data.length, policy.name());
      startRollout(version, policy);
      return version.version();
    } finally {
      applyLock.unlock();
    }
  }

  /**
   * Rolls {@code service} back to the content of {@code toVersion}: an apply of those bytes as a new
   * version, all at once.
   *
   * @return the new version
   * @throws IllegalArgumentException if {@code toVersion} is not in the store's history
   */
  public long rollback(String service, long toVersion) {
    ConfigVersion target = store.get(service, toVersion).orElseThrow(() -> new IllegalArgumentException(
        "version " + toVersion + " of " + service + " is not in the history"));
    log.info("rolling {} back to the content of version {}", service, toVersion);
    return apply(service, target.dataBytes(), RolloutPolicies.allAtOnce());
  }

  private void onStoreVersion(ConfigVersion version) {
    // Versions appended elsewhere (another replica) roll out with the default policy; versions
    // appended by apply() are already rolling out once its lock is released.
    onRolloutThread("rollout of " + version.service() + "@" + version.version() + " appended to the store", () -> {
      ReentrantLock applyLock = applyLocks.computeIfAbsent(version.service(), s -> new ReentrantLock());
      applyLock.lock();
      try {
        boolean known;
        lock.lock();
        try {
          known = service(version.service()).highestStarted >= version.version();
        } finally {
          unlock();
        }
        if (!known) {
          startRollout(version, options.defaultPolicy());
        }
      } finally {
        applyLock.unlock();
      }
    });
  }

  // ----------------------------------------------------------------------------------- queries

  public Optional<ConfigVersion> config(String service) {
    return store.latest(service);
  }

  public Optional<ConfigVersion> config(String service, long version) {
    return store.get(service, version);
  }

  /** Up to {@code limit} versions of {@code service}, newest first. */
  public List<ConfigVersion> history(String service, int limit) {
    return store.history(service, limit);
  }

  public List<String> services() {
    return store.services();
  }

  /** The version of {@code service} that nodes connecting now receive (0 if none). */
  public long releasedVersion(String service) {
    lock.lock();
    try {
      return service(service).released;
    } finally {
      unlock();
    }
  }

  /**
   * Every node seen since start (connected or not), sorted by id. With a {@link FleetPresence}, also
   * the nodes connected to other replicas (connected, with an empty session id, the versions the
   * shared ledger says they applied, and UNKNOWN health); if the presence cannot be read, this
   * controller's nodes only.
   */
  public List<NodeView> nodes() {
    Map<String, NodeView> views = new TreeMap<>();
    lock.lock();
    try {
      for (Node node : nodes.values()) {
        views.put(node.nodeId, node.view());
      }
    } finally {
      unlock();
    }
    if (presence != null) {
      FleetPresence.Fleet fleet = null;
      try {
        fleet = presence.fleet();
      } catch (RuntimeException e) {
        log.debug("fleet presence cannot be read, listing this replica's nodes only: {}", e.toString());
      }
      if (fleet != null) {
        for (NodePresence remote : fleet.nodes()) {
          if (remote.replicaId().equals(presence.replicaId())) {
            continue;
          }
          NodeView known = views.get(remote.nodeId());
          if (known == null || !known.connected()) {
            views.put(remote.nodeId(), remoteView(remote));
          }
        }
      }
    }
    return new ArrayList<>(views.values());
  }

  private static NodeView remoteView(NodePresence remote) {
    return new NodeView(remote.nodeId(), remote.services(), remote.metadata(),
        remote.metadata().getOrDefault(ControlMessages.TRANSPORT_METADATA, "tcp"), "", true,
        remote.appliedVersions(), Map.of(), Health.UNKNOWN, Map.of(), remote.connectedAt(), Optional.empty());
  }

  /** The nodes serving {@code service}, sorted by id. */
  public List<NodeView> nodes(String service) {
    List<NodeView> out = new ArrayList<>();
    for (NodeView view : nodes()) {
      if (view.services().contains(service)) {
        out.add(view);
      }
    }
    return out;
  }

  /**
   * Subscribes to fleet events. Delivery is asynchronous and ordered per subscription; a listener
   * that falls behind by more than the subscriber buffer gets coalesced events after a LAGGED event.
   * With a {@link FleetPresence} that watches, nodes connecting to and leaving other replicas are
   * reported too (CONNECTED and DISCONNECTED, the replica named in the detail); their other events
   * stay on their replica.
   */
  public Subscription subscribe(FleetListener listener, Predicate<FleetEvent> filter) {
    return events.subscribe(listener, filter);
  }

  public Subscription subscribe(FleetListener listener) {
    return subscribe(listener, e -> true);
  }

  /** Open subscriptions (each StreamStatus call holds one while it runs). */
  public int subscriptionCount() {
    return events.subscriberCount();
  }

  // ---------------------------------------------------------------------------- await rollout

  /**
   * Waits until {@code condition} holds for {@code version} of {@code service}, every target node
   * has answered, this controller's rollout of the version ended short of the remaining nodes
   * (halted, rolled back or failed: they will not receive it), or {@code timeout} passed. Reports
   * which connected nodes acknowledged it (or a newer version), which rejected it (with their
   * reasons), which did neither, and how the rollout stands ({@link RolloutResult#outcome}).
   *
   * <p>The wait ends as soon as the answers arrive, whatever fleet listeners are doing: it shares no
   * thread with event delivery.
   *
   * <p>With a {@link FleetPresence} (replicas sharing a store), the target nodes include those
   * connected to the other replicas: their answers are read from the store's node ledger, every
   * {@link #REMOTE_POLL}, and the wait is not decided before they were read once.
   */
  public RolloutResult awaitRollout(String service, long version, RolloutCondition condition, Duration timeout) {
    Waiter waiter = register(service, version, condition);
    try {
      return waiter.decided.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      lock.lock();
      try {
        if (waiter.result != null) {
          return waiter.result; // decided meanwhile; its completion is under way
        }
        List<Waiter> list = waiters.get(service);
        if (list != null) {
          list.remove(waiter);
          if (list.isEmpty()) {
            waiters.remove(service);
          }
        }
        return waiter.result(waiter.satisfied());
      } finally {
        unlock();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RequestException(ErrorCode.CANCELLED, "interrupted while awaiting " + service + "@" + version);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /**
   * The asynchronous form of {@link #awaitRollout}: completes once the condition holds, every target
   * answered, or the rollout of the version ended short of the remaining nodes. Completes on the
   * controller's {@code mcp-rollout-waiters} thread (or the caller's, after {@link #shutdown}), so
   * dependent stages added without an executor run there: keep them short.
   */
  public CompletableFuture<RolloutResult> rolloutFuture(String service, long version, RolloutCondition condition) {
    return register(service, version, condition).decided.thenApplyAsync(r -> r, task -> {
      try {
        waiterExecutor.execute(task);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        task.run(); // shut down: complete here rather than never
      }
    });
  }

  private Waiter register(String service, long version, RolloutCondition condition) {
    lock.lock();
    try {
      Waiter waiter = new Waiter(service, version, condition, presence == null);
      for (Node node : nodes.values()) {
        waiter.consider(node);
      }
      if (!waiter.decide(false) && !(endedShort(service, version) && waiter.decide(true))) {
        waiters.computeIfAbsent(service, s -> new ArrayList<>()).add(waiter);
        if (presence != null) {
          scheduleRemoteRead(true);
        }
      }
      return waiter;
    } finally {
      unlock();
    }
  }

  /**
   * Schedules a read of the other replicas' answers on the remote-answers thread: at once for a new
   * waiter (unless such a read is already queued), else every {@link #REMOTE_POLL} while waiters
   * remain. One read serves every waiter: the fleet once, each remote node's ledger entry once per
   * service waited on.
   */
  private void scheduleRemoteRead(boolean immediate) {
    synchronized (remoteReads) {
      if (immediate ? remoteReads.immediate : remoteReads.queued > 0) {
        return; // a read already queued will see this waiter
      }
      try {
        remoteAnswers.schedule(this::readRemoteAnswers, immediate ? 0 : REMOTE_POLL.toNanos(), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        return; // shutting down: the waits end with what is known, by their timeouts or the shutdown
      }
      remoteReads.queued++;
      remoteReads.immediate |= immediate;
    }
  }

  /** Reads queued on the remote-answers thread; guarded by itself. */
  private static final class RemoteReads {
    int queued;
    boolean immediate;
  }

  private final RemoteReads remoteReads = new RemoteReads();

  /**
   * On the remote-answers thread: reads which nodes the other replicas hold and what the shared
   * ledger says each answered for the services waited on, then re-decides every waiting wait; again
   * every {@link #REMOTE_POLL} while any is left. The reads happen outside the lock. A node that is
   * connected here is counted from here only.
   */
  private void readRemoteAnswers() {
    synchronized (remoteReads) {
      remoteReads.queued--;
      remoteReads.immediate = false;
    }
    Set<String> services;
    lock.lock();
    try {
      services = new HashSet<>(waiters.keySet());
    } finally {
      unlock();
    }
    if (services.isEmpty()) {
      return;
    }
    List<NodePresence> remoteNodes = new ArrayList<>();
    Map<String, Map<String, RemoteAnswer>> answers = new HashMap<>(); // service -> node -> answer
    boolean read;
    try {
      Map<String, List<NodePresence>> serving = new HashMap<>(); // service waited on -> remote nodes serving it
      for (NodePresence node : presence.fleet().nodes()) {
        if (node.replicaId().equals(presence.replicaId())) {
          continue;
        }
        remoteNodes.add(node);
        for (String service : node.services()) {
          if (services.contains(service)) {
            serving.computeIfAbsent(service, x -> new ArrayList<>()).add(node);
          }
        }
      }
      for (Map.Entry<String, List<NodePresence>> entry : serving.entrySet()) {
        String service = entry.getKey();
        Map<String, NodeRecord> records = store.nodeRecords(
            entry.getValue().stream().map(NodePresence::nodeId).toList(), service);
        Map<String, RemoteAnswer> forService = answers.computeIfAbsent(service, x -> new HashMap<>());
        for (NodePresence node : entry.getValue()) {
          NodeRecord record = records.get(node.nodeId());
          long applied = Math.max(record.appliedVersion(), node.appliedVersions().getOrDefault(service, 0L));
          forService.put(node.nodeId(), new RemoteAnswer(applied, record.rejectedVersion(), record.rejectedReason()));
        }
      }
      read = true;
    } catch (RuntimeException e) {
      log.debug("rollout waits: the other replicas' answers cannot be read now: {}", e.toString());
      read = false;
    }
    boolean waiting;
    lock.lock();
    try {
      if (read) {
        Predicate<String> connectedHere = id -> {
          Node local = nodes.get(id);
          return local != null && local.connected();
        };
        for (var entry = waiters.entrySet().iterator(); entry.hasNext(); ) {
          List<Waiter> list = entry.next().getValue();
          for (var it = list.iterator(); it.hasNext(); ) {
            Waiter waiter = it.next();
            if (!services.contains(waiter.service)) {
              continue; // registered after the read began: the immediate read it queued sees it
            }
            Map<String, RemoteAnswer> mine = new HashMap<>();
            Map<String, RemoteAnswer> forService = answers.getOrDefault(waiter.service, Map.of());
            for (NodePresence node : remoteNodes) {
              RemoteAnswer answer = forService.get(node.nodeId());
              if (answer != null && matches(node.metadata(), waiter.condition.labelSelector())) {
                mine.put(node.nodeId(), answer);
              }
            }
            waiter.remote(mine, connectedHere);
            if (waiter.decide(false)) {
              it.remove();
            }
          }
          if (list.isEmpty()) {
            entry.remove();
          }
        }
      }
      waiting = !waiters.isEmpty();
    } finally {
      unlock();
    }
    if (waiting) {
      scheduleRemoteRead(false);
    }
  }

  private static boolean matches(Map<String, String> metadata, Map<String, String> labels) {
    for (Map.Entry<String, String> label : labels.entrySet()) {
      if (!label.getValue().equals(metadata.get(label.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /** What the shared ledger says a node on another replica did with a service. */
  private record RemoteAnswer(long applied, long rejectedVersion, String rejectedReason) {}

  /** Under the lock: tells the waiters of {@code node}'s services that it changed (connected, answered, left). */
  private void signalWaiters(Node node) {
    for (String service : node.services) {
      List<Waiter> list = waiters.get(service);
      if (list == null) {
        continue;
      }
      for (var it = list.iterator(); it.hasNext(); ) {
        Waiter waiter = it.next();
        waiter.consider(node);
        if (waiter.decide(false)) {
          it.remove();
        }
      }
      if (list.isEmpty()) {
        waiters.remove(service);
      }
    }
  }

  /** Under the lock: ends the waits for {@code version} of {@code service}, whose rollout will reach no more nodes. */
  private void endWaits(String service, long version) {
    List<Waiter> list = waiters.get(service);
    if (list == null) {
      return;
    }
    for (var it = list.iterator(); it.hasNext(); ) {
      Waiter waiter = it.next();
      if (waiter.version == version && waiter.decide(true)) {
        it.remove();
      }
    }
    if (list.isEmpty()) {
      waiters.remove(service);
    }
  }

  /** Under the lock: whether the rollout of {@code version} ended before reaching every node (halted, rolled back, failed). */
  private boolean endedShort(String service, long version) {
    ServiceState state = services.get(service);
    Rollout rollout = state == null ? null : state.recent.get(version);
    return rollout != null && rollout.reported && !rollout.outcome.equals(Rollout.COMPLETE)
        && !rollout.outcome.equals(Rollout.SUPERSEDED);
  }

  /** Under the lock: how this controller's rollout of {@code version} stands, or empty if it does not know. */
  private String outcome(String service, long version) {
    ServiceState state = services.get(service);
    Rollout rollout = state == null ? null : state.recent.get(version);
    return rollout == null ? "" : rollout.describe();
  }

  /**
   * One awaitRollout call: the target nodes (connected, serving the service, matching the labels),
   * split into acked, rejected and pending, kept current node by node. Guarded by the controller lock.
   */
  private final class Waiter {
    final String service;
    final long version;
    final RolloutCondition condition;
    /** Completed by {@link #unlock()} after the lock is released; nothing but the waiting thread depends on it. */
    final CompletableFuture<RolloutResult> decided = new CompletableFuture<>();
    final Set<String> acked = new HashSet<>();
    final Map<String, String> rejected = new HashMap<>();
    final Set<String> pending = new HashSet<>();
    /** Targets on other replicas, as last read (filed in the three sets above too). */
    final Set<String> remoteTargets = new HashSet<>();
    /** False until the other replicas' nodes were read once (always true without presence). */
    boolean remoteKnown;
    /** Set once decided. */
    RolloutResult result;

    Waiter(String service, long version, RolloutCondition condition, boolean remoteKnown) {
      this.service = service;
      this.version = version;
      this.condition = condition;
      this.remoteKnown = remoteKnown;
    }

    /** Re-files the other replicas' targets from a fresh read, skipping nodes connected here. */
    void remote(Map<String, RemoteAnswer> answers, Predicate<String> connectedHere) {
      for (String id : remoteTargets) {
        if (!connectedHere.test(id)) {
          acked.remove(id);
          rejected.remove(id);
          pending.remove(id);
        }
      }
      remoteTargets.clear();
      answers.forEach((id, answer) -> {
        if (connectedHere.test(id)) {
          return;
        }
        remoteTargets.add(id);
        if (answer.applied() >= version) {
          acked.add(id);
        } else if (answer.rejectedVersion() == version) {
          rejected.put(id, answer.rejectedReason());
        } else {
          pending.add(id);
        }
      });
      remoteKnown = true;
    }

    /** Re-files {@code node} after a change. */
    void consider(Node node) {
      String id = node.nodeId;
      if (!node.connected() && remoteTargets.contains(id)) {
        return; // it left this replica for another: counted from the other replica's answers
      }
      acked.remove(id);
      rejected.remove(id);
      pending.remove(id);
      if (!node.connected() || !node.services.contains(service)
          || (!condition.labelSelector().isEmpty() && !node.matches(condition.labelSelector()))) {
        return;
      }
      if (node.applied(service) >= version) {
        acked.add(id);
      } else if (node.rejectedVersion(service) == version) {
        rejected.put(id, node.rejectedReason(service));
      } else {
        pending.add(id);
      }
    }

    boolean satisfied() {
      int targets = acked.size() + rejected.size() + pending.size();
      return acked.size() >= (int) Math.ceil(targets * condition.percentRequired() / 100.0);
    }

    /**
     * Decides when the condition holds, every target answered (an early rejection does not end the
     * wait, so the result lists every node's answer rather than calling the slower ones silent), or
     * {@code force}; true if it did. The future is completed once the lock is released.
     */
    boolean decide(boolean force) {
      if (result != null) {
        return true;
      }
      if (!remoteKnown && !force) {
        return false; // the other replicas' nodes are not counted yet
      }
      boolean satisfied = satisfied();
      if (!satisfied && !pending.isEmpty() && !force) {
        return false;
      }
      RolloutResult decision = result(satisfied);
      result = decision;
      decidedWaiters.add(() -> decided.complete(decision));
      return true;
    }

    RolloutResult result(boolean satisfied) {
      return new RolloutResult(service, version, satisfied, new TreeSet<>(acked), new TreeMap<>(rejected),
          new TreeSet<>(pending), outcome(service, version));
    }
  }

  // --------------------------------------------------------------------------------- sessions

  private void onSessionReady(Session session) {
    Set<String> wanted = new LinkedHashSet<>();
    if (!session.serviceName().isEmpty()) {
      wanted.add(session.serviceName());
    }
    String more = session.metadata().getOrDefault(ControlMessages.SERVICES_METADATA, "");
    for (String s : more.split(",")) {
      if (!s.isBlank()) {
        wanted.add(s.strip());
      }
    }
    if (wanted.isEmpty()) {
      return; // an admin or tool session: no configuration to push
    }
    for (String service : wanted) {
      if (!session.identity().allowsService(service)) {
        session.close(CloseCode.UNAUTHENTICATED, "identity " + session.identity().name()
            + " is not allowed service " + service);
        return;
      }
    }
    List<FleetEvent> out = new ArrayList<>();
    List<Push> pushes = new ArrayList<>();
    lock.lock();
    try {
      Node node = nodes.computeIfAbsent(session.nodeId(), Node::new);
      Session previous = node.session;
      node.attach(session, wanted, options.clock().instant());
      for (String service : wanted) {
        // The Hello is the truth about what the node has now (it may have lost its state): the
        // ledger only keeps rejections, so a rejected version is not pushed again after a restart.
        long reported = Math.max(0, session.appliedVersions().getOrDefault(service, 0L));
        NodeRecord record = store.nodeRecord(node.nodeId, service);
        node.applied.put(service, reported);
        if (record.rejectedVersion() > 0) {
          node.rejections.putIfAbsent(service, new NodeView.Rejection(record.rejectedVersion(), record.rejectedReason()));
        }
        long target = targetFor(node, service);
        if (target > 0 && node.wants(service, target)) {
          pushes.add(new Push(node, service, target));
          node.sent.computeIfAbsent(service, s -> new SentVersions()).add(target);
        }
      }
      out.add(event(FleetEvent.Type.CONNECTED, node, String.join(",", wanted), 0, ""));
      if (previous != null && previous != session) {
        previous.close(CloseCode.GOING_AWAY, "replaced by a newer session of node " + node.nodeId);
      }
      signalWaiters(node);
    } finally {
      unlock();
    }
    publish(out);
    if (presence != null) {
      NodePresence announced = new NodePresence(presence.replicaId(), session.nodeId(), wanted, session.metadata(),
          options.clock().instant(), Map.of());
      announce("node " + session.nodeId(), () -> presence.nodeConnected(announced));
    }
    for (Push push : pushes) {
      store.get(push.service, push.version).ifPresent(v -> session.send(ControlMessages.UPDATE,
          Map.of("service", v.service(), "version", Long.toString(v.version())), updateBody(v))
          .whenComplete((ok, e) -> {
            if (e != null) {
              log.warn("push of {}@{} to {} failed: {}", v.service(), v.version(), push.node.nodeId, e.getMessage());
            }
          }));
    }
  }

  private record Push(Node node, String service, long version) {}

  private void onSessionClosed(Session session, SessionClose close) {
    List<FleetEvent> out = new ArrayList<>();
    lock.lock();
    try {
      Node node = nodes.get(session.nodeId());
      if (node == null || node.session != session) {
        return;
      }
      node.session = null;
      node.lastSeen = options.clock().instant();
      out.add(event(FleetEvent.Type.DISCONNECTED, node, String.join(",", node.services), 0, close.toString()));
      for (ServiceState state : services.values()) {
        if (state.rollout != null) {
          state.rollout.answered(node.nodeId, -1, null); // disconnected: no longer awaited
        }
      }
      signalWaiters(node);
    } finally {
      unlock();
    }
    publish(out);
    if (presence != null) {
      String nodeId = session.nodeId();
      announce("departure of node " + nodeId, () -> presence.nodeDisconnected(nodeId));
    }
  }

  /** Under the lock: the version a node of {@code service} should have now. */
  private long targetFor(Node node, String service) {
    ServiceState state = service(service);
    Rollout rollout = state.rollout;
    if (rollout != null && rollout.pushed.contains(node.nodeId)) {
      return Math.max(state.released, rollout.version.version());
    }
    return state.released;
  }

  private ServiceState service(String service) {
    ServiceState state = services.get(service);
    if (state == null) {
      state = new ServiceState();
      state.released = store.latest(service).map(ConfigVersion::version).orElse(0L);
      state.highestStarted = state.released;
      services.put(service, state);
    }
    return state;
  }

  // ---------------------------------------------------------------------------- agent messages

  private Reply onAck(Message message) throws InvalidProtocolBufferException {
    ConfigAck ack = ConfigAck.parseFrom(message.body());
    Session session = message.session();
    List<FleetEvent> out = new ArrayList<>();
    lock.lock();
    try {
      Node node = checkSent(session, ack.getService(), ack.getVersion(), "ACK");
      if (node == null) {
        return null;
      }
      node.lastSeen = options.clock().instant();
      long before = node.applied(ack.getService());
      if (ack.getVersion() > before) {
        node.applied.put(ack.getService(), ack.getVersion());
        if (events.subscriberCount() > 0) { // the event copies the node's view: only when someone listens
          out.add(event(FleetEvent.Type.APPLIED, node, ack.getService(), ack.getVersion(), ""));
        }
      }
      answered(ack.getService(), ack.getVersion(), node.nodeId, null);
      signalWaiters(node);
    } finally {
      unlock();
    }
    telemetry.configAnswered(ack.getService(), ack.getVersion(), session.nodeId(), true);
    store.recordApplied(session.nodeId(), ack.getService(), ack.getVersion());
    publish(out);
    return null;
  }

  private Reply onNack(Message message) throws InvalidProtocolBufferException {
    ConfigNack nack = ConfigNack.parseFrom(message.body());
    Session session = message.session();
    List<FleetEvent> out = new ArrayList<>();
    lock.lock();
    try {
      Node node = checkSent(session, nack.getService(), nack.getVersion(), "NACK");
      if (node == null) {
        return null;
      }
      node.lastSeen = options.clock().instant();
      NodeView.Rejection last = node.rejections.get(nack.getService());
      if (last == null || nack.getVersion() >= last.version()) {
        node.rejections.put(nack.getService(), new NodeView.Rejection(nack.getVersion(), nack.getReason()));
        out.add(event(FleetEvent.Type.REJECTED, node, nack.getService(), nack.getVersion(), nack.getReason()));
      }
      answered(nack.getService(), nack.getVersion(), node.nodeId, nack.getReason());
      signalWaiters(node);
    } finally {
      unlock();
    }
    log.warn("node {} rejected {}@{}: {}", session.nodeId(), nack.getService(), nack.getVersion(), nack.getReason());
    telemetry.configAnswered(nack.getService(), nack.getVersion(), session.nodeId(), false);
    store.recordRejected(session.nodeId(), nack.getService(), nack.getVersion(), nack.getReason());
    publish(out);
    return null;
  }

  /** Under the lock: the node, or null after closing the session for an answer to a version never sent. */
  private Node checkSent(Session session, String service, long version, String what) {
    Node node = nodes.get(session.nodeId());
    if (node == null || node.session != session) {
      return null; // an old session of a node that reconnected: nothing to do
    }
    SentVersions sent = node.sent.get(service);
    int verdict = sent == null ? SentVersions.NEVER_SENT : sent.answer(version);
    if (verdict == SentVersions.NEVER_SENT) {
      session.close(CloseCode.PROTOCOL_ERROR, what + " for " + service + "@" + version
          + ", which was never sent to node " + node.nodeId);
      return null;
    }
    return verdict == SentVersions.ANSWERED ? node : null; // SETTLED: a late answer, already superseded
  }

  /**
   * The versions of one service pushed to one session and not answered yet. An answer settles its
   * version and every older one (an agent skips versions superseded while it was applying and
   * answers in order), so the set holds only what is in flight, at most {@link #MAX_OUTSTANDING}
   * versions (the oldest are settled beyond that): a node connected for months costs the same as
   * a new one. Under the controller's lock.
   */
  static final class SentVersions {
    static final int MAX_OUTSTANDING = 64;
    static final int ANSWERED = 1;
    static final int SETTLED = 0;
    static final int NEVER_SENT = -1;

    private final java.util.TreeSet<Long> outstanding = new java.util.TreeSet<>();
    /** Answers for versions up to here arrive late: they are ignored, not errors. */
    private long settledUpTo;

    void add(long version) {
      outstanding.add(version);
      while (outstanding.size() > MAX_OUTSTANDING) {
        settledUpTo = Math.max(settledUpTo, outstanding.pollFirst());
      }
    }

    /** {@link #ANSWERED} (settles it and older ones), {@link #SETTLED} or {@link #NEVER_SENT}. */
    int answer(long version) {
      if (outstanding.contains(version)) {
        outstanding.headSet(version, true).clear();
        settledUpTo = Math.max(settledUpTo, version);
        return ANSWERED;
      }
      return version <= settledUpTo ? SETTLED : NEVER_SENT;
    }

    int outstanding() {
      return outstanding.size();
    }

    boolean isOutstanding(long version) {
      return outstanding.contains(version);
    }
  }

  private void answered(String service, long version, String nodeId, String rejection) {
    ServiceState state = services.get(service);
    if (state != null && state.rollout != null) {
      state.rollout.answered(nodeId, version, rejection);
    }
  }

  private Reply onStatus(Message message) throws InvalidProtocolBufferException {
    StatusReport report = StatusReport.parseFrom(message.body());
    Health health = switch (report.getHealth()) {
      case HEALTHY -> Health.HEALTHY;
      case DEGRADED -> Health.DEGRADED;
      case UNHEALTHY -> Health.UNHEALTHY;
      default -> Health.UNKNOWN;
    };
    List<FleetEvent> out = new ArrayList<>();
    lock.lock();
    try {
      Node node = nodes.get(message.session().nodeId());
      if (node == null || node.session != message.session()) {
        return null;
      }
      node.lastSeen = options.clock().instant();
      long sequence = report.getSequence();
      if (sequence != 0) {
        if (sequence <= node.statusSequence) {
          return null; // handled after a newer report of the same session: it is out of date
        }
        node.statusSequence = sequence;
      }
      node.metrics = Map.copyOf(report.getMetricsMap());
      if (node.health != health) {
        node.health = health;
        out.add(event(FleetEvent.Type.HEALTH_CHANGED, node, "", 0, health.name()));
        if (health == Health.UNHEALTHY) {
          out.add(event(FleetEvent.Type.UNHEALTHY, node, "", 0, ""));
        }
      }
    } finally {
      unlock();
    }
    publish(out);
    return null;
  }

  private Reply onAdminApply(Message message) throws InvalidProtocolBufferException {
    if (!message.session().identity().hasRole(options.adminRole())) {
      throw new RequestException(ErrorCode.PERMISSION_DENIED, "identity " + message.session().identity().name()
          + " lacks role " + options.adminRole() + " to apply configuration");
    }
    ApplyRequest request = ApplyRequest.parseFrom(message.body());
    if (request.getService().isEmpty()) {
      throw new RequestException(ErrorCode.INVALID_ARGUMENT, "service is empty");
    }
    long version = apply(request.getService(), request.getConfigData().toByteArray());
    return Reply.of(ApplyResponse.newBuilder().setVersion(version).build().toByteArray());
  }

  // --------------------------------------------------------------------------------- rollouts

  /** Rollouts per service whose outcome {@link RolloutResult#outcome} can still report (the newest). */
  static final int REMEMBERED_ROLLOUTS = 16;
  /** Node ids a log line or an outcome names before "and N more". */
  private static final int NAMED_NODES = 10;

  private void startRollout(ConfigVersion version, RolloutPolicy policy) {
    Rollout rollout;
    Telemetry.RolloutTrace trace = telemetry.rolloutStarted(version.service(), version.version());
    lock.lock();
    try {
      ServiceState state = service(version.service());
      if (state.highestStarted >= version.version()) {
        trace.finished("superseded");
        return;
      }
      state.highestStarted = version.version();
      if (state.rollout != null) {
        state.rollout.supersede();
      }
      List<NodeView> targets = new ArrayList<>();
      for (Node node : nodes.values()) {
        if (node.connected() && node.services.contains(version.service())) {
          targets.add(node.view());
        }
      }
      targets.sort(Comparator.comparing(NodeView::nodeId));
      rollout = new Rollout(version, policy, state.released, policy.waves(targets), trace);
      state.rollout = rollout;
      state.remember(rollout);
      if (rollout.waves.size() <= 1) {
        // One wave: every node gets the version now, so do the nodes connecting from now on.
        state.released = Math.max(state.released, version.version());
      }
    } finally {
      unlock();
    }
    onRolloutThread(rollout.label(), rollout::nextWave);
  }

  private final class ServiceState {
    long released;
    long highestStarted;
    Rollout rollout;
    /** The newest rollouts by version, oldest first. */
    final Map<Long, Rollout> recent = new LinkedHashMap<>();

    void remember(Rollout rollout) {
      recent.put(rollout.version.version(), rollout);
      if (recent.size() > REMEMBERED_ROLLOUTS) {
        recent.remove(recent.keySet().iterator().next());
      }
    }
  }

  /**
   * One version's way through its waves. Steps run on the rollout thread; a wave is promoted only
   * when every node of it answered (see {@link RolloutPolicy}).
   */
  private final class Rollout {
    static final String RUNNING = "running";
    static final String ROLLING_BACK = "rolling_back";
    static final String COMPLETE = "complete";
    static final String HALTED = "halted";
    static final String ROLLED_BACK = "rolled_back";
    static final String ROLLBACK_FAILED = "rollback_failed";
    static final String SUPERSEDED = "superseded";
    static final String FAILED = "failed";

    final ConfigVersion version;
    final RolloutPolicy policy;
    final long previousReleased;
    List<List<NodeView>> waves;
    final Set<String> pushed = new HashSet<>();
    final Set<String> waiting = new HashSet<>();
    /** Nodes of the current wave that disconnected before answering. */
    final Set<String> departed = new LinkedHashSet<>();
    final Telemetry.RolloutTrace trace;
    final long startNanos = System.nanoTime();
    int wave;
    /** The last wave whose answers were evaluated: a wave is decided once, whoever asks first. */
    int evaluated = -1;
    /** No more steps: the rollout ended, or is rolling back. */
    boolean finished;
    /** {@link #finish} ran: telemetry has the outcome. */
    boolean reported;
    String outcome = RUNNING;
    String reason = "";
    ScheduledFuture<?> timeout;

    Rollout(ConfigVersion version, RolloutPolicy policy, long previousReleased, List<List<NodeView>> waves,
        Telemetry.RolloutTrace trace) {
      this.version = version;
      this.policy = policy;
      this.previousReleased = previousReleased;
      this.waves = waves;
      this.trace = trace;
    }

    String label() {
      return "rollout of " + version.service() + "@" + version.version() + " (" + policy.name() + ")";
    }

    /** Under the lock: the outcome and why, for {@link RolloutResult#outcome}. */
    String describe() {
      return reason.isEmpty() ? outcome : outcome + ": " + reason;
    }

    /** Under the lock: ends the rollout, reports how, and ends the waits it can no longer satisfy. */
    void finish(String outcome, String reason) {
      if (reported) {
        return;
      }
      finished = true;
      reported = true;
      this.outcome = outcome;
      this.reason = reason;
      if (timeout != null) {
        timeout.cancel(false);
      }
      telemetry.rolloutFinished(version.service(), version.version(), outcome, System.nanoTime() - startNanos);
      trace.finished(outcome);
      if (!outcome.equals(COMPLETE) && !outcome.equals(SUPERSEDED)) {
        endWaits(version.service(), version.version()); // the nodes not pushed yet will not get it
      }
    }

    /**
     * Runs a step of this rollout; a step that throws (a store failure, a push the server refuses)
     * ends the rollout as failed, logged with the service and version, instead of vanishing into the
     * rollout executor.
     */
    void guarded(String what, Runnable step) {
      try {
        step.run();
      } catch (RuntimeException e) {
        log.warn("{}: {} failed, the rollout stops: {}", label(), what, e.toString(), e);
        lock.lock();
        try {
          finish(FAILED, what + " failed: " + e);
        } finally {
          unlock();
        }
      }
    }

    void nextWave() {
      guarded("the push of wave " + (wave + 1), this::pushWave);
    }

    private void pushWave() {
      String service = version.service();
      List<Session> targets = new ArrayList<>();
      lock.lock();
      try {
        if (finished) {
          return;
        }
        ServiceState state = service(service);
        boolean last = wave >= waves.size() - 1;
        departed.clear();
        if (wave < waves.size()) {
          for (NodeView view : waves.get(wave)) {
            target(view.nodeId(), nodes.get(view.nodeId()), targets);
          }
          reason = "wave " + (wave + 1) + " of " + waves.size() + " pushed, awaiting its answers";
        }
        if (last) {
          // Nodes that connected since the rollout started were given the released version then:
          // the last wave is theirs too, or they would keep that one until the next version.
          for (Node node : nodes.values()) {
            if (node.connected() && node.services.contains(service) && !pushed.contains(node.nodeId)) {
              target(node.nodeId, node, targets);
            }
          }
          state.released = Math.max(state.released, version.version());
        }
      } finally {
        unlock();
      }
      fanOut(targets);
      lock.lock();
      try {
        if (finished) {
          return;
        }
        int current = wave;
        if (waiting.isEmpty()) {
          onRolloutThread(label(), () -> waveAnswered(current, false));
        } else {
          timeout = onRolloutThreadLater(label(), () -> waveAnswered(current, true), policy.waveTimeout().toNanos());
        }
      } finally {
        unlock();
      }
    }

    /**
     * Under the lock: puts a node into the current wave, and into {@code targets} unless the version
     * is in flight to its session already (sent when it connected).
     */
    private void target(String nodeId, Node node, List<Session> targets) {
      pushed.add(nodeId);
      String service = version.service();
      if (node == null || !node.connected() || !node.wants(service, version.version())) {
        return;
      }
      SentVersions sent = node.sent.computeIfAbsent(service, s -> new SentVersions());
      if (!sent.isOutstanding(version.version())) {
        sent.add(version.version());
        targets.add(node.session);
      }
      waiting.add(nodeId);
    }

    /** Under the lock: {@code nodeId} answered (or, with {@code answeredVersion} -1, disconnected). */
    void answered(String nodeId, long answeredVersion, String rejection) {
      if (answeredVersion == version.version()) {
        trace.answered(nodeId, rejection);
      }
      if (answeredVersion != -1 && answeredVersion < version.version()) {
        return; // a late answer to an older version: this one is still awaited
      }
      if (finished || !waiting.remove(nodeId)) {
        return;
      }
      boolean left = answeredVersion == -1;
      if (left) {
        departed.add(nodeId);
      }
      // Decided once every node answered, or as soon as a node of a wave to be promoted left: it
      // can no longer acknowledge, so the wave cannot be promoted.
      if (waiting.isEmpty() || (left && wave < waves.size() - 1)) {
        if (timeout != null) {
          timeout.cancel(false);
        }
        int current = wave;
        onRolloutThread(label(), () -> waveAnswered(current, false));
      }
    }

    /**
     * The answers of wave {@code answered} are in, a node of it left, or ({@code timedOut}) its
     * timeout passed: promote, halt, roll back or complete.
     */
    void waveAnswered(int answered, boolean timedOut) {
      guarded("the evaluation of wave " + (answered + 1), () -> evaluate(answered, timedOut));
    }

    private void evaluate(int answered, boolean timedOut) {
      String service = version.service();
      boolean rollback = false;
      long bakeNanos = 0;
      String next;
      lock.lock();
      try {
        if (finished || answered != wave || evaluated >= answered) {
          return; // decided already, or a stale timeout
        }
        evaluated = answered;
        if (timeout != null) {
          timeout.cancel(false);
        }
        waiting.clear();
        int rejected = 0;
        for (String nodeId : pushed) {
          Node node = nodes.get(nodeId);
          if (node != null && node.rejectedVersion(service) == version.version()) {
            rejected++;
          }
        }
        // This wave's nodes that neither applied the version (or a newer one) nor rejected it.
        List<String> left = new ArrayList<>();
        List<String> silent = new ArrayList<>();
        for (NodeView view : wave < waves.size() ? waves.get(wave) : List.<NodeView>of()) {
          Node node = nodes.get(view.nodeId());
          if (node != null && (node.applied(service) >= version.version()
              || node.rejectedVersion(service) == version.version())) {
            continue;
          }
          (node == null || !node.connected() || departed.contains(view.nodeId()) ? left : silent).add(view.nodeId());
        }
        boolean more = wave < waves.size() - 1;
        String waveName = "wave " + (wave + 1) + " of " + waves.size();
        double fraction = pushed.isEmpty() ? 0 : (double) rejected / pushed.size();
        if (policy.rollbackThreshold() >= 0 && fraction > policy.rollbackThreshold()) {
          rollback = true;
          finished = true; // no more waves; finish() once the rollback was tried
          outcome = ROLLING_BACK;
          reason = rejected + " of " + pushed.size() + " nodes rejected, above " + policy.rollbackThreshold();
          log.warn("{}: {} of {} nodes rejected, above {}: rolling back to version {}", label(), rejected,
              pushed.size(), policy.rollbackThreshold(), previousReleased);
        } else if (more && rejected > 0 && policy.haltOnRejection()) {
          finish(HALTED, waveName + " not promoted: " + rejected + " rejection(s); the other nodes stay on version "
              + previousReleased);
          log.warn("{} halted: {}", label(), reason);
          return;
        } else if (more && (!left.isEmpty() || !silent.isEmpty())) {
          List<String> why = new ArrayList<>();
          if (!left.isEmpty()) {
            why.add(names(left) + " disconnected before acknowledging");
          }
          if (!silent.isEmpty()) {
            why.add(names(silent) + (timedOut ? " did not acknowledge within the wave timeout of "
                + policy.waveTimeout() : " had not acknowledged yet"));
          }
          finish(HALTED, waveName + " not promoted: " + String.join("; ", why)
              + "; the other nodes stay on version " + previousReleased);
          log.warn("{} halted: {}", label(), reason);
          return;
        } else if (!more) {
          finish(COMPLETE, "");
          log.info("{} complete: {} node(s) pushed, {} rejected, {} did not answer", label(), pushed.size(),
              rejected, left.size() + silent.size());
          return;
        } else {
          wave++;
          bakeNanos = policy.bakeTime().toNanos();
          next = "wave " + (wave + 1) + " of " + waves.size();
          reason = bakeNanos > 0 ? waveName + " acknowledged; baking " + policy.bakeTime() + " before " + next
              : waveName + " acknowledged";
        }
      } finally {
        unlock();
      }
      if (rollback) {
        rollBack(service);
      } else if (bakeNanos > 0) {
        onRolloutThreadLater(label(), this::nextWave, bakeNanos);
      } else {
        nextWave();
      }
    }

    /** Rollout thread: applies the previous released version's content again; the outcome says whether it could. */
    private void rollBack(String service) {
      String outcome;
      String why;
      lock.lock();
      try {
        why = reason;
      } finally {
        unlock();
      }
      if (previousReleased <= 0) {
        outcome = ROLLBACK_FAILED;
        why += "; there is no earlier released version to roll back to";
        log.warn("{}: {}", label(), why);
      } else {
        try {
          long restored = rollback(service, previousReleased);
          outcome = ROLLED_BACK;
          why += "; the content of version " + previousReleased + " is rolled out again as version " + restored;
        } catch (RuntimeException e) {
          outcome = ROLLBACK_FAILED;
          why += "; rolling back to version " + previousReleased + " failed: " + e.getMessage();
          log.warn("{}: rolling back to version {} failed: {}", label(), previousReleased, e.toString(), e);
        }
      }
      lock.lock();
      try {
        finish(outcome, why);
      } finally {
        unlock();
      }
    }

    /** Under the lock. */
    void supersede() {
      if (!finished) {
        finish(SUPERSEDED, "");
      }
      if (timeout != null) {
        timeout.cancel(false);
      }
      // Only its outcome is asked for from now on: let the fleet-sized sets go.
      waves = List.of();
      pushed.clear();
      waiting.clear();
      departed.clear();
    }

    /**
     * Writes the update to {@code targets} in paced batches. It is encoded once: every batch writes
     * the same bytes. Rollout thread.
     */
    void fanOut(List<Session> targets) {
      if (targets.isEmpty()) {
        return;
      }
      ByteBuffer body = updateBody(version);
      Map<String, String> headers = Map.of("service", version.service(), "version", Long.toString(version.version()));
      if (!trace.headers().isEmpty()) {
        Map<String, String> traced = new java.util.LinkedHashMap<>(trace.headers());
        traced.putAll(headers);
        headers = Map.copyOf(traced);
      }
      if (trace != Telemetry.RolloutTrace.NOOP) {
        for (Session target : targets) {
          trace.pushed(target.nodeId());
        }
      }
      int batch = options.fanoutBatchSize();
      ByteBuf frame = null;
      try {
        for (int from = 0; from < targets.size(); from += batch) {
          List<Session> slice = targets.subList(from, Math.min(targets.size(), from + batch));
          List<Session> netty = new ArrayList<>();
          Map<Session, CompletableFuture<Void>> writes = new LinkedHashMap<>();
          for (Session target : slice) {
            if (target instanceof NettySession) {
              netty.add(target);
            } else {
              writes.put(target, track(target, target.send(ControlMessages.UPDATE, headers, body.duplicate())));
            }
          }
          if (!netty.isEmpty()) {
            if (frame == null) {
              frame = server.encodeOneWay(ControlMessages.UPDATE, headers, body);
            }
            server.broadcast(netty, frame).forEach((target, write) -> writes.put(target, track(target, write)));
          }
          awaitProgress(writes);
        }
      } finally {
        if (frame != null) {
          frame.release();
        }
      }
    }

    /**
     * Paces by socket progress: the next batch (and the next version) waits for this batch's writes,
     * bounded by {@link #FANOUT_STEP_WAIT} (tests may set another bound). A session that is not
     * writable is not waited for: its socket is full, so the write deadline or the outbound budget
     * deals with it (SLOW_CONSUMER), and one slow agent must not hold back the rest of the fleet.
     */
    private void awaitProgress(Map<Session, CompletableFuture<Void>> writes) {
      long deadline = System.nanoTime() + options.fanoutStepWait().toNanos();
      while (true) {
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        writes.forEach((target, write) -> {
          if (!write.isDone() && target.isWritable()) {
            pending.add(write);
          }
        });
        long left = deadline - System.nanoTime();
        if (pending.isEmpty() || left <= 0) {
          return;
        }
        try {
          CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0]))
              .get(Math.min(left, PROGRESS_POLL.toNanos()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        } catch (Exception e) {
          // Still pending, or failed (handled per session by track): look again.
        }
      }
    }

    private CompletableFuture<Void> track(Session target, CompletableFuture<Void> write) {
      return write.whenComplete((ok, e) -> {
        if (e instanceof RequestException && ((RequestException) e).errorCode().equals(ErrorCode.OVERLOADED)) {
          target.close(CloseCode.SLOW_CONSUMER, "push of " + version.service() + "@" + version.version()
              + " exceeds the outbound budget; reconnect to receive the newest version");
        }
      }).exceptionally(e -> null);
    }
  }

  private static ByteBuffer updateBody(ConfigVersion version) {
    return ByteBuffer.wrap(ConfigUpdate.newBuilder()
        .setService(version.service())
        .setVersion(version.version())
        .setConfigData(com.google.protobuf.ByteString.copyFrom(version.data()))
        .build()
        .toByteArray());
  }

  // ------------------------------------------------------------------------------------ nodes

  private final class Node {
    final String nodeId;
    Session session;
    Set<String> services = Set.of();
    Map<String, String> metadata = Map.of();
    String transport = "tcp";
    final Map<String, Long> applied = new HashMap<>();
    final Map<String, NodeView.Rejection> rejections = new HashMap<>();
    final Map<String, SentVersions> sent = new HashMap<>();
    Health health = Health.UNKNOWN;
    Map<String, Double> metrics = Map.of();
    Instant lastSeen = Instant.EPOCH;
    Instant connectedAt = Instant.EPOCH;
    /** The sequence of the last status report taken from this session (0: none, or not counted). */
    long statusSequence;

    Node(String nodeId) {
      this.nodeId = nodeId;
    }

    void attach(Session session, Set<String> services, Instant now) {
      this.session = session;
      this.services = Set.copyOf(services);
      this.metadata = session.metadata();
      this.transport = session.metadata().getOrDefault(ControlMessages.TRANSPORT_METADATA, "tcp");
      this.sent.clear();
      this.lastSeen = now;
      this.connectedAt = now;
      this.statusSequence = 0;
    }

    boolean connected() {
      return session != null;
    }

    long applied(String service) {
      return applied.getOrDefault(service, 0L);
    }

    long rejectedVersion(String service) {
      NodeView.Rejection r = rejections.get(service);
      return r == null ? 0 : r.version();
    }

    String rejectedReason(String service) {
      NodeView.Rejection r = rejections.get(service);
      return r == null ? "" : r.reason();
    }

    boolean matches(Map<String, String> labels) {
      return Controller.matches(metadata, labels);
    }

    /** The push rule: newer than what it applied and than what it last rejected. */
    boolean wants(String service, long version) {
      return version > applied(service) && version > rejectedVersion(service);
    }

    NodeView view() {
      return new NodeView(nodeId, services, metadata, transport, session == null ? "" : session.id(),
          session != null, Map.copyOf(applied), Map.copyOf(rejections), health, metrics, lastSeen,
          session == null ? Optional.empty() : session.lastRtt());
    }
  }

  private FleetEvent event(FleetEvent.Type type, Node node, String service, long version, String detail) {
    return new FleetEvent(type, node.view(), service, version, detail, options.clock().instant());
  }

  private void publish(List<FleetEvent> out) {
    for (FleetEvent event : out) {
      events.publish(event);
    }
  }

  /** Up to {@link #NAMED_NODES} node ids, then how many more. */
  private static String names(List<String> nodeIds) {
    List<String> sorted = new ArrayList<>(nodeIds);
    java.util.Collections.sort(sorted);
    String named = String.join(", ", sorted.subList(0, Math.min(NAMED_NODES, sorted.size())));
    return sorted.size() > NAMED_NODES ? named + " and " + (sorted.size() - NAMED_NODES) + " more" : named;
  }

  private static void checkService(String service) {
    if (service == null || service.isEmpty() || service.length() > 256) {
      throw new IllegalArgumentException("service name must be 1..256 characters, got "
          + (service == null ? "null" : service.length()));
    }
  }

  /**
   * Shuts down: every agent gets GOING_AWAY within {@code grace}, rollouts stop, the store watch
   * ends. Does not close the store (the caller owns it).
   */
  public CompletableFuture<Void> shutdown(Duration grace) {
    try {
      if (storeWatch != null) {
        storeWatch.close();
      }
    } catch (Exception e) {
      log.warn("closing the store watch failed", e);
    }
    if (shedding != null) {
      shedding.cancel(false);
    }
    if (forgetting != null) {
      forgetting.cancel(false);
    }
    if (presenceWatch != null) {
      try {
        presenceWatch.close();
      } catch (Exception e) {
        log.warn("closing the fleet presence watch failed", e);
      }
    }
    rolloutExecutor.shutdownNow();
    CompletableFuture<Void> stopped = server.shutdown(grace).whenComplete((ok, e) -> {
      events.shutdown();
      if (remoteAnswers != null) {
        remoteAnswers.shutdownNow();
      }
      waiterExecutor.shutdown(); // after the waits the closed sessions ended; later ones complete inline
    });
    if (presence == null) {
      return stopped;
    }
    // After the departures queued while the sessions closed: withdraw the replica, last.
    return stopped.handle((ok, error) -> error).thenCompose(error -> {
      CompletableFuture<Void> withdrawn = new CompletableFuture<>();
      try {
        presenceExecutor.execute(() -> {
          try {
            presence.replicaStopped();
          } catch (RuntimeException e) {
            log.warn("fleet presence: replica {} could not be withdrawn: {}", presence.replicaId(), e.toString());
          } finally {
            withdrawn.complete(null);
          }
        });
        presenceExecutor.shutdown();
      } catch (java.util.concurrent.RejectedExecutionException e) {
        withdrawn.complete(null); // shut down before
      }
      return withdrawn.thenCompose(x -> error == null ? CompletableFuture.<Void>completedFuture(null)
          : CompletableFuture.<Void>failedFuture(error));
    });
  }

  @Override
  public void close() {
    shutdown(Duration.ofSeconds(10)).join();
  }

  Collection<String> nodeIds() {
    lock.lock();
    try {
      return new ArrayList<>(nodes.keySet());
    } finally {
      unlock();
    }
  }

  /** For tests: the sessions of connected nodes by node id. */
  Map<String, Session> sessionsByNode() {
    lock.lock();
    try {
      Map<String, Session> out = new LinkedHashMap<>();
      for (Node node : nodes.values()) {
        if (node.session != null) {
          out.put(node.nodeId, node.session);
        }
      }
      return out;
    } finally {
      unlock();
    }
  }
}
