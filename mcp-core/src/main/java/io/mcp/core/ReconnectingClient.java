package io.mcp.core;

import io.mcp.codec.CloseCode;
import io.mcp.codec.ErrorCode;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one session open to one of several endpoints: connects, and whenever the session ends,
 * reconnects with exponential backoff and jitter ({@link ReconnectPolicy}), moving to the next
 * endpoint in the list. A GOING_AWAY from the server moves on after a short random delay. Each
 * handshake carries the applied versions the supplier returns at that moment.
 *
 * <p>Requests are never retried: a request in flight when a session drops fails with
 * UNAVAILABLE, and its caller decides. So nothing runs twice because of a reconnect.
 *
 * <p>Thread-safe.
 */
public final class ReconnectingClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReconnectingClient.class);

  /** Where reconnects are scheduled and time is read; replaced in tests. */
  interface Scheduler {
    void schedule(Runnable task, long delayNanos);

    long nanoTime();
  }

  private final McpClient client;
  private final List<SocketAddress> endpoints;
  private final ReconnectPolicy policy;
  private final Supplier<Map<String, Long>> appliedVersions;
  private final Scheduler scheduler;
  private final DoubleSupplier random;
  private final List<ConnectionListener> listeners = new CopyOnWriteArrayList<>();

  private final Object lock = new Object();
  private boolean started;
  private boolean closed;
  private int attempt;
  private int endpointIndex;
  private Session current;
  private long readySinceNanos;
  private CompletableFuture<Session> nextSession = new CompletableFuture<>();

  ReconnectingClient(McpClient client, List<? extends SocketAddress> endpoints, ReconnectPolicy policy,
      Supplier<Map<String, Long>> appliedVersions, Scheduler scheduler, DoubleSupplier random) {
    this.client = Objects.requireNonNull(client, "client");
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("at least one endpoint is needed");
    }
    this.endpoints = List.copyOf(endpoints);
    this.policy = Objects.requireNonNull(policy, "policy");
    this.appliedVersions = Objects.requireNonNull(appliedVersions, "appliedVersions");
    this.scheduler = scheduler;
    this.random = random;
  }

  /**
   * A reconnecting client over {@code client}'s options and event loops. Call {@link #start()}.
   *
   * @param appliedVersions called before every handshake: service to last applied version
   */
  public static ReconnectingClient create(McpClient client, List<? extends SocketAddress> endpoints,
      ReconnectPolicy policy, Supplier<Map<String, Long>> appliedVersions) {
    var loop = client.eventLoopGroup().next();
    Scheduler scheduler = new Scheduler() {
      @Override
      public void schedule(Runnable task, long delayNanos) {
        loop.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
      }

      @Override
      public long nanoTime() {
        return loop.ticker().nanoTime();
      }
    };
    return new ReconnectingClient(client, endpoints, policy, appliedVersions, scheduler,
        () -> ThreadLocalRandom.current().nextDouble());
  }

  /** {@link #create(McpClient, List, ReconnectPolicy, Supplier)} with the options' applied versions. */
  public static ReconnectingClient create(McpClient client, List<? extends SocketAddress> endpoints,
      ReconnectPolicy policy) {
    Map<String, Long> versions = client.options().appliedVersions();
    return create(client, endpoints, policy, () -> versions);
  }

  public ReconnectingClient addListener(ConnectionListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
    return this;
  }

  /** Starts connecting to the first endpoint. Idempotent. */
  public ReconnectingClient start() {
    synchronized (lock) {
      if (started || closed) {
        return this;
      }
      started = true;
    }
    connect();
    return this;
  }

  /** The READY session, if there is one now (never one that is already closing). */
  public Optional<Session> session() {
    synchronized (lock) {
      return Optional.ofNullable(live());
    }
  }

  /** The current session if READY, else the next one to become READY. */
  public CompletableFuture<Session> awaitSession() {
    synchronized (lock) {
      Session live = live();
      return live != null ? CompletableFuture.completedFuture(live) : nextSession;
    }
  }

  /** Under the lock: the current session unless it has started closing. */
  private Session live() {
    return current != null && !current.state().isTerminating() ? current : null;
  }

  /** A request on the current session; fails with UNAVAILABLE when there is none (never queued). */
  public CompletableFuture<Reply> request(String type, ByteBuffer body, Duration timeout) {
    Session session = session().orElse(null);
    if (session == null) {
      return CompletableFuture.failedFuture(new RequestException(ErrorCode.UNAVAILABLE, "not connected"));
    }
    return session.request(type, body, timeout);
  }

  /** The endpoint the next attempt will use, or the current session uses. */
  public SocketAddress endpoint() {
    synchronized (lock) {
      return endpoints.get(endpointIndex);
    }
  }

  private void connect() {
    SocketAddress endpoint;
    synchronized (lock) {
      if (closed) {
        return;
      }
      endpoint = endpoints.get(endpointIndex);
    }
    Map<String, Long> versions;
    try {
      versions = appliedVersions.get();
    } catch (RuntimeException e) {
      log.warn("applied-versions supplier failed; connecting without versions", e);
      versions = Map.of();
    }
    client.connect(endpoint, versions).whenComplete((session, error) -> {
      if (error != null) {
        onConnectFailed(endpoint, error);
      } else {
        onConnected(session, endpoint);
      }
    });
  }

  private void onConnected(Session session, SocketAddress endpoint) {
    CompletableFuture<Session> waiters;
    synchronized (lock) {
      if (closed) {
        session.close(CloseCode.NORMAL, "client closed");
        return;
      }
      current = session;
      readySinceNanos = scheduler.nanoTime();
      waiters = nextSession;
      nextSession = new CompletableFuture<>();
    }
    log.info("connected to {} (session {})", endpoint, session.id());
    for (ConnectionListener listener : listeners) {
      safely(() -> listener.onConnected(session, endpoint));
    }
    waiters.complete(session);
    session.closeFuture().thenAccept(close -> onDisconnected(session, endpoint, close));
  }

  private void onConnectFailed(SocketAddress endpoint, Throwable error) {
    Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
        ? error.getCause() : error;
    log.debug("connect to {} failed: {}", endpoint, cause.toString());
    for (ConnectionListener listener : listeners) {
      safely(() -> listener.onConnectFailed(endpoint, cause));
    }
    synchronized (lock) {
      if (closed) {
        return;
      }
      endpointIndex = (endpointIndex + 1) % endpoints.size();
    }
    scheduleReconnect(false);
  }

  private void onDisconnected(Session session, SocketAddress endpoint, SessionClose close) {
    boolean goingAway = close.initiator() == SessionClose.Initiator.REMOTE && close.code() == CloseCode.GOING_AWAY;
    synchronized (lock) {
      if (current == session) {
        current = null;
      }
      if (scheduler.nanoTime() - readySinceNanos >= policy.healthyPeriod().toNanos()) {
        attempt = 0;
      }
      if (!closed) {
        endpointIndex = (endpointIndex + 1) % endpoints.size();
      }
    }
    log.info("disconnected from {}: {}", endpoint, close);
    for (ConnectionListener listener : listeners) {
      safely(() -> listener.onDisconnected(session, endpoint, close));
    }
    scheduleReconnect(goingAway);
  }

  private void scheduleReconnect(boolean goingAway) {
    long delay;
    int thisAttempt;
    SocketAddress next;
    synchronized (lock) {
      if (closed) {
        return;
      }
      thisAttempt = attempt;
      if (goingAway) {
        delay = policy.goingAwayDelayNanos(random.getAsDouble());
      } else {
        delay = policy.delayNanos(attempt, random.getAsDouble());
        attempt++;
      }
      next = endpoints.get(endpointIndex);
    }
    Duration d = Duration.ofNanos(delay);
    for (ConnectionListener listener : listeners) {
      safely(() -> listener.onReconnectScheduled(thisAttempt, d, next));
    }
    scheduler.schedule(this::connect, delay);
  }

  private static void safely(Runnable action) {
    try {
      action.run();
    } catch (RuntimeException e) {
      log.warn("connection listener failed", e);
    }
  }

  /** Stops reconnecting and closes the current session with NORMAL. Does not close the {@link McpClient}. */
  @Override
  public void close() {
    Session session;
    CompletableFuture<Session> waiters;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      session = current;
      current = null;
      waiters = nextSession;
    }
    waiters.completeExceptionally(new RequestException(ErrorCode.UNAVAILABLE, "reconnecting client closed"));
    if (session != null) {
      session.close(CloseCode.NORMAL, "client closed").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null);
    }
  }
}
