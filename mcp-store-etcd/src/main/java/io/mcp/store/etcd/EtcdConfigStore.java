package io.mcp.store.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.mcp.core.spi.ConfigStore;
import io.mcp.core.spi.ConfigVersion;
import io.mcp.core.spi.FleetPresence;
import io.mcp.core.spi.NodePresence;
import io.mcp.core.spi.NodeRecord;
import io.mcp.core.spi.StoreException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ConfigStore} in etcd, shared by several controller replicas, which is also their {@link
 * FleetPresence}. Keys are laid out as {@link Keys} draws them, under {@link
 * EtcdStoreOptions#keyPrefix()}.
 *
 * <ul>
 *   <li><b>Versions</b>: {@link #append} reads {@code latest/{service}} and commits, in one etcd
 *       transaction guarded by that key's mod revision (compare-and-swap), the new number, the
 *       version's bytes and the deletion of versions beyond the history limit. Two replicas
 *       appending at once: one transaction fails its comparison and retries with the next number,
 *       so no version is ever issued twice. It returns once etcd committed (a quorum wrote it).
 *   <li><b>Watch</b>: each {@link #watch} reads the newest version of every service and watches
 *       {@code versions/} from that revision on. Versions are delivered in version order per
 *       service, each once: an etcd watch resumes from the last revision it delivered after a
 *       broken connection, and when that revision was compacted away (or the watch fails for good)
 *       the handle re-reads {@code latest/} and delivers the missing versions still in the history
 *       before watching again, retrying with backoff while etcd is unreachable.
 *   <li><b>Ledger</b>: {@code ledger/{node}/{service}}, updated by compare-and-swap, never
 *       regressing.
 *   <li><b>Presence</b>: {@code replicas/{id}} and {@code presence/{id}/{node}} under this replica's
 *       lease ({@link EtcdStoreOptions#leaseTtl()}), kept alive every third of the TTL. A replica
 *       that dies stops keeping it alive and its entries vanish when the lease expires; a lease
 *       lost while etcd was unreachable is granted again and every entry re-announced.
 * </ul>
 *
 * <p>Unreachable etcd: calls fail after {@link EtcdStoreOptions#requestTimeout()} with {@link
 * StoreException#unavailable} (gRPC UNAVAILABLE); an append that timed out may still have been
 * committed ({@link StoreException#outcomeUnknown()}), and watches then deliver it.
 *
 * <p>Thread-safe.
 */
public final class EtcdConfigStore implements ConfigStore, FleetPresence {
  private static final Logger log = LoggerFactory.getLogger(EtcdConfigStore.class);
  /** Compare-and-swap attempts of one write before giving up (only other processes compete). */
  static final int MAX_CAS_ATTEMPTS = 1000;
  /** Versions read per request by {@link #history}: 16 of the largest fit in 32 MiB. */
  static final int HISTORY_PAGE = 16;
  private static final int MAX_INBOUND_BYTES = 64 << 20;

  private final EtcdStoreOptions options;
  private final Keys keys;
  private final Client client;
  private final KV kv;
  private final long timeoutNanos;
  private final ScheduledExecutorService scheduler;
  private final Map<String, ReentrantLock> serviceLocks = new ConcurrentHashMap<>();
  private final Set<WatchHandle> watches = ConcurrentHashMap.newKeySet();
  private final Set<PresenceWatch> presenceWatches = ConcurrentHashMap.newKeySet();

  private final Object presenceLock = new Object();
  /** Guarded by presenceLock: the nodes this replica announced, to re-announce under a new lease. */
  private final Map<String, NodePresence> announced = new HashMap<>();
  private boolean replicaAnnounced;
  private long leaseId;
  private ScheduledFuture<?> keepAlive;
  private volatile boolean closed;
  /** The ledger entries this store wrote last, with their mod revisions; cleared when full. */
  private final Map<String, LedgerEntry> ledgerCache = new ConcurrentHashMap<>();
  static final int LEDGER_CACHE_ENTRIES = 200_000;

  record LedgerEntry(NodeRecord record, long modRevision) {}

  private final LedgerWriter ledgerWriter;

  LedgerEntry cachedLedger(String key) {
    return ledgerCache.get(key);
  }

  void cacheLedger(String key, LedgerEntry entry) {
    if (ledgerCache.size() >= LEDGER_CACHE_ENTRIES) {
      ledgerCache.clear();
    }
    ledgerCache.put(key, entry);
  }

  void forgetLedger(String key) {
    ledgerCache.remove(key);
  }

  KV kv() {
    return kv;
  }

  long timeoutNanos() {
    return timeoutNanos;
  }

  private EtcdConfigStore(EtcdStoreOptions options, Client client) {
    this.options = options;
    this.keys = new Keys(options.keyPrefix());
    this.client = client;
    this.kv = client.getKVClient();
    this.timeoutNanos = options.requestTimeout().toNanos();
    AtomicInteger threads = new AtomicInteger();
    ThreadFactory factory = r -> {
      Thread t = new Thread(r, "mcp-etcd-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    this.scheduler = Executors.newSingleThreadScheduledExecutor(factory);
    this.ledgerWriter = new LedgerWriter(this);
  }

  /**
   * Connects to etcd and checks that it answers within the request timeout.
   *
   * @throws StoreException (unavailable) if etcd does not answer
   */
  public static EtcdConfigStore open(EtcdStoreOptions options) {
    Objects.requireNonNull(options, "options");
    io.etcd.jetcd.ClientBuilder builder = Client.builder()
        .endpoints(options.endpoints().toArray(new java.net.URI[0]))
        .maxInboundMessageSize(MAX_INBOUND_BYTES)
        .connectTimeout(options.requestTimeout())
        .retryMaxDuration(options.requestTimeout())
        .keepaliveTime(java.time.Duration.ofSeconds(10))
        .keepaliveTimeout(java.time.Duration.ofSeconds(5));
    if (options.tls().isPresent()) {
      try {
        builder.sslContext(io.grpc.netty.GrpcSslContexts.configure(options.tls().get().newClientContextBuilder()).build());
      } catch (javax.net.ssl.SSLException e) {
        throw new IllegalArgumentException("etcd TLS settings cannot be used: " + e.getMessage(), e);
      }
    }
    if (options.user().isPresent()) {
      builder.user(io.etcd.jetcd.ByteSequence.from(options.user().get(), java.nio.charset.StandardCharsets.UTF_8))
          .password(io.etcd.jetcd.ByteSequence.from(options.password(), java.nio.charset.StandardCharsets.UTF_8));
    }
    Client client = builder.build();
    EtcdConfigStore store = new EtcdConfigStore(options, client);
    try {
      store.await(store.kv.get(Keys.bytes(store.keys.latestPrefix()), GetOption.builder()
          .isPrefix(true).withCountOnly(true).build()), "the first read", false);
    } catch (StoreException e) {
      store.close();
      if (options.tls().isPresent()) {
        // jetcd retries a failed TLS handshake until the timeout and keeps its cause to itself.
        throw StoreException.unavailable(e.getMessage() + " over TLS: check that tls trusts the CA that signed"
            + " etcd's certificate, that the certificate names the endpoint's host, and that etcd accepts the"
            + " client certificate when it runs with --client-cert-auth", e, false);
      }
      throw e;
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    log.info("etcd store open: {}", options);
    return store;
  }

  /** The settings. */
  public EtcdStoreOptions options() {
    return options;
  }

  // -------------------------------------------------------------------------------- versions

  @Override
  public ConfigVersion append(String service, byte[] data) {
    Objects.requireNonNull(data, "data");
    checkName("service", service);
    if (data.length > options.maxConfigBytes()) {
      throw new IllegalArgumentException("configuration of " + data.length + " bytes for " + service
          + " exceeds maxConfigBytes " + options.maxConfigBytes());
    }
    checkOpen();
    ReentrantLock lock = serviceLocks.computeIfAbsent(service, s -> new ReentrantLock());
    lock.lock();
    try {
      ByteSequence latestKey = Keys.bytes(keys.latest(service));
      // A member that dies mid-call breaks the connection: the call is retried on another member
      // until the request timeout (reads are idempotent; a write whose outcome is unknown is read
      // back first), so losing one member of a cluster does not fail an apply.
      long retryDeadline = System.nanoTime() + timeoutNanos;
      long backoffMillis = 20;
      for (int attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
        GetResponse read;
        try {
          read = await(kv.get(latestKey), "the latest version of " + service, false);
        } catch (StoreException e) {
          if (!e.isUnavailable() || System.nanoTime() - retryDeadline >= 0) {
            throw e;
          }
          log.debug("append to {}: read failed, retrying on another member: {}", service, e.getMessage());
          backoffMillis = pause(backoffMillis);
          continue;
        }
        long current = 0;
        long modRevision = 0;
        if (!read.getKvs().isEmpty()) {
          KeyValue latest = read.getKvs().get(0);
          current = Long.parseLong(latest.getValue().toString(UTF_8));
          modRevision = latest.getModRevision();
        }
        long next = current + 1;
        Instant createdAt = options.clock().instant();
        List<Op> ops = new ArrayList<>();
        ops.add(Op.put(latestKey, ByteSequence.from(Long.toString(next), UTF_8), PutOption.DEFAULT));
        ops.add(Op.put(Keys.bytes(keys.version(service, next)),
            ByteSequence.from(Codec.encodeVersion(createdAt, data)), PutOption.DEFAULT));
        long oldestKept = next - options.historyLimit() + 1;
        if (oldestKept > 1) {
          ops.add(Op.delete(Keys.bytes(keys.version(service, 0)),
              DeleteOption.builder().withRange(Keys.bytes(keys.version(service, oldestKept))).build()));
        }
        TxnResponse txn;
        try {
          txn = await(kv.txn()
              .If(new Cmp(latestKey, Cmp.Op.EQUAL, CmpTarget.modRevision(modRevision)))
              .Then(ops.toArray(new Op[0]))
              .commit(), "the append of version " + next + " of " + service, true);
        } catch (StoreException e) {
          if (!e.isUnavailable() || System.nanoTime() - retryDeadline >= 0) {
            throw e;
          }
          log.debug("append to {}: outcome of version {} unknown, reading it back: {}", service, next, e.getMessage());
          backoffMillis = pause(backoffMillis);
          Optional<ConfigVersion> stored;
          try {
            stored = get(service, next);
          } catch (StoreException again) {
            if (!again.isUnavailable() || System.nanoTime() - retryDeadline >= 0) {
              throw e;
            }
            continue; // still unreachable: the next round reads latest again, then this version
          }
          if (stored.isPresent() && stored.get().createdAt().equals(createdAt)
              && java.util.Arrays.equals(stored.get().dataBytes(), data)) {
            return stored.get(); // the lost answer was a commit: this write is version next
          }
          continue; // not committed (or another writer's): the next round reads latest again
        }
        if (txn.isSucceeded()) {
          return ConfigVersion.of(service, next, data, createdAt);
        }
        log.debug("append to {}: version {} was taken by another writer, retrying", service, next);
      }
      throw new StoreException("append to " + service + " lost " + MAX_CAS_ATTEMPTS
          + " compare-and-swap races in a row; nothing was stored");
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Optional<ConfigVersion> latest(String service) {
    checkOpen();
    GetResponse read = await(kv.get(Keys.bytes(keys.versionsOf(service)), GetOption.builder()
        .isPrefix(true).withSortField(GetOption.SortTarget.KEY).withSortOrder(GetOption.SortOrder.DESCEND)
        .withLimit(1).build()), "the latest version of " + service, false);
    return read.getKvs().stream().findFirst().map(this::decodeVersion);
  }

  @Override
  public Optional<ConfigVersion> get(String service, long version) {
    checkOpen();
    if (version < 1) {
      return Optional.empty();
    }
    GetResponse read = await(kv.get(Keys.bytes(keys.version(service, version))),
        "version " + version + " of " + service, false);
    return read.getKvs().stream().findFirst().map(this::decodeVersion);
  }

  @Override
  public List<ConfigVersion> history(String service, int limit) {
    checkOpen();
    List<ConfigVersion> out = new ArrayList<>();
    if (limit <= 0) {
      return out;
    }
    ByteSequence start = Keys.bytes(keys.versionsOf(service));
    ByteSequence end = Keys.rangeEnd(keys.versionsOf(service));
    long revision = 0;
    while (out.size() < limit) {
      GetOption.Builder option = GetOption.builder().withRange(end)
          .withSortField(GetOption.SortTarget.KEY).withSortOrder(GetOption.SortOrder.DESCEND)
          .withLimit(Math.min(HISTORY_PAGE, limit - out.size()));
      if (revision > 0) {
        option.withRevision(revision); // every page from the same snapshot
      }
      GetResponse page = await(kv.get(start, option.build()), "the history of " + service, false);
      revision = page.getHeader().getRevision();
      for (KeyValue entry : page.getKvs()) {
        out.add(decodeVersion(entry));
      }
      if (!page.isMore() || page.getKvs().isEmpty()) {
        break;
      }
      end = page.getKvs().get(page.getKvs().size() - 1).getKey();
    }
    return out;
  }

  @Override
  public List<String> services() {
    checkOpen();
    GetResponse read = await(kv.get(Keys.bytes(keys.latestPrefix()),
        GetOption.builder().isPrefix(true).withKeysOnly(true).build()), "the services", false);
    TreeSet<String> names = new TreeSet<>();
    for (KeyValue entry : read.getKvs()) {
      names.add(Keys.unescape(entry.getKey().toString(UTF_8).substring(keys.latestPrefix().length())));
    }
    return new ArrayList<>(names);
  }

  private ConfigVersion decodeVersion(KeyValue entry) {
    Object[] parsed = keys.parseVersionKey(entry.getKey().toString(UTF_8));
    if (parsed == null) {
      throw new StoreException("unexpected key " + entry.getKey().toString(UTF_8) + " among the versions");
    }
    return Codec.decodeVersion((String) parsed[0], (Long) parsed[1], entry.getValue().getBytes());
  }

  // ---------------------------------------------------------------------------------- ledger

  /**
   * {@inheritDoc}
   *
   * <p>Group-committed without waiting (every ACK of a fleet lands here): {@link #nodeRecord} of
   * this store sees it at once, other replicas within milliseconds; {@link #close} writes what is
   * queued. A process that dies loses at most its last batch, which the agents' Hellos restore.
   */
  @Override
  public void recordApplied(String nodeId, String service, long version) {
    updateLedger(nodeId, service, "applied " + version, false, r -> version > r.appliedVersion()
        ? new NodeRecord(nodeId, service, version, r.rejectedVersion(), r.rejectedReason()) : null);
  }

  @Override
  public void recordRejected(String nodeId, String service, long version, String reason) {
    Objects.requireNonNull(reason, "reason");
    updateLedger(nodeId, service, "rejected " + version, true, r -> version >= r.rejectedVersion()
        && !(version == r.rejectedVersion() && reason.equals(r.rejectedReason()))
        ? new NodeRecord(nodeId, service, r.appliedVersion(), version, reason) : null);
  }

  /** Hands the update to the ledger writer and waits until it is committed (group commit). */
  private void updateLedger(String nodeId, String service, String what, boolean wait,
      java.util.function.Function<NodeRecord, NodeRecord> change) {
    checkName("nodeId", nodeId);
    checkName("service", service);
    checkOpen();
    ledgerWriter.update(nodeId, service, what, change, wait);
  }

  /**
   * Compare-and-swap of one ledger entry on its own; {@code change} returns null when nothing is to
   * be written. The ledger writer's fallback when a batch loses a race.
   */
  void updateLedgerAlone(String nodeId, String service, String what,
      java.util.function.Function<NodeRecord, NodeRecord> change) {
    String keyText = keys.ledger(nodeId, service);
    ByteSequence key = Keys.bytes(keyText);
    // Entries only grow (versions never regress), so a cached entry is never ahead of etcd: a change
    // it calls unnecessary is unnecessary, and one it calls for is tried against its mod revision
    // (one round trip when this replica wrote last), falling back to a fresh read.
    LedgerEntry cached = ledgerCache.get(keyText);
    for (int attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
      LedgerEntry current = cached;
      cached = null;
      if (current == null) {
        GetResponse read = await(kv.get(key), "the ledger of node " + nodeId, false);
        current = read.getKvs().isEmpty() ? new LedgerEntry(NodeRecord.empty(nodeId, service), 0)
            : new LedgerEntry(Codec.decodeLedger(nodeId, service, read.getKvs().get(0).getValue().getBytes()),
                read.getKvs().get(0).getModRevision());
      }
      NodeRecord next = change.apply(current.record());
      if (next == null) {
        return;
      }
      TxnResponse txn = await(kv.txn()
          .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(current.modRevision())))
          .Then(Op.put(key, ByteSequence.from(Codec.encodeLedger(next.appliedVersion(), next.rejectedVersion(),
              next.rejectedReason())), PutOption.DEFAULT))
          .commit(), "the ledger update of node " + nodeId + " (" + what + " of " + service + ")", true);
      if (txn.isSucceeded()) {
        cacheLedger(keyText, new LedgerEntry(next, txn.getHeader().getRevision()));
        return;
      }
    }
    throw new StoreException("ledger update of node " + nodeId + " and " + service + " lost " + MAX_CAS_ATTEMPTS
        + " compare-and-swap races in a row");
  }

  @Override
  public NodeRecord nodeRecord(String nodeId, String service) {
    checkOpen();
    ledgerWriter.awaitPending(keys.ledger(nodeId, service));
    GetResponse read = await(kv.get(Keys.bytes(keys.ledger(nodeId, service))), "the ledger of node " + nodeId, false);
    if (read.getKvs().isEmpty()) {
      return NodeRecord.empty(nodeId, service);
    }
    return Codec.decodeLedger(nodeId, service, read.getKvs().get(0).getValue().getBytes());
  }

  /** Sends every read before awaiting any: one round trip for the lot over the client's HTTP/2 connection. */
  @Override
  public Map<String, NodeRecord> nodeRecords(java.util.Collection<String> nodeIds, String service) {
    checkOpen();
    Map<String, CompletableFuture<GetResponse>> reads = new java.util.LinkedHashMap<>();
    for (String nodeId : nodeIds) {
      ledgerWriter.awaitPending(keys.ledger(nodeId, service));
      reads.put(nodeId, kv.get(Keys.bytes(keys.ledger(nodeId, service))));
    }
    Map<String, NodeRecord> records = new java.util.LinkedHashMap<>();
    for (Map.Entry<String, CompletableFuture<GetResponse>> read : reads.entrySet()) {
      String nodeId = read.getKey();
      GetResponse response = await(read.getValue(), "the ledger of node " + nodeId, false);
      records.put(nodeId, response.getKvs().isEmpty() ? NodeRecord.empty(nodeId, service)
          : Codec.decodeLedger(nodeId, service, response.getKvs().get(0).getValue().getBytes()));
    }
    return records;
  }

  // ----------------------------------------------------------------------------------- watch

  @Override
  public AutoCloseable watch(Consumer<ConfigVersion> listener) {
    Objects.requireNonNull(listener, "listener");
    checkOpen();
    WatchHandle handle = new WatchHandle(this, listener);
    watches.add(handle);
    try {
      handle.start();
    } catch (RuntimeException e) {
      watches.remove(handle);
      handle.close();
      throw e;
    }
    return handle;
  }

  void watchClosed(WatchHandle handle) {
    watches.remove(handle);
  }

  Keys keys() {
    return keys;
  }

  Client client() {
    return client;
  }

  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /** Every service's newest version number, and the revision read at. */
  Map.Entry<Long, Map<String, Long>> latestVersions() {
    GetResponse read = await(kv.get(Keys.bytes(keys.latestPrefix()), GetOption.builder().isPrefix(true).build()),
        "the latest versions", false);
    Map<String, Long> out = new HashMap<>();
    for (KeyValue entry : read.getKvs()) {
      String service = Keys.unescape(entry.getKey().toString(UTF_8).substring(keys.latestPrefix().length()));
      out.put(service, Long.parseLong(entry.getValue().toString(UTF_8)));
    }
    return Map.entry(read.getHeader().getRevision(), out);
  }

  /** Versions of {@code service} above {@code after} up to {@code upTo}, oldest first, as of {@code revision}. */
  List<ConfigVersion> versionsBetween(String service, long after, long upTo, long revision) {
    List<ConfigVersion> out = new ArrayList<>();
    long from = after + 1;
    while (from <= upTo) {
      GetResponse page = await(kv.get(Keys.bytes(keys.version(service, from)), GetOption.builder()
          .withRange(Keys.bytes(keys.version(service, upTo + 1))).withRevision(revision)
          .withSortField(GetOption.SortTarget.KEY).withSortOrder(GetOption.SortOrder.ASCEND)
          .withLimit(HISTORY_PAGE).build()), "versions " + from + ".." + upTo + " of " + service, false);
      if (page.getKvs().isEmpty()) {
        break;
      }
      for (KeyValue entry : page.getKvs()) {
        out.add(decodeVersion(entry));
      }
      from = out.get(out.size() - 1).version() + 1;
      if (!page.isMore()) {
        break;
      }
    }
    return out;
  }

  /** Decodes a watched key/value: the version, or null if the key is not a version. */
  ConfigVersion decodeWatched(KeyValue entry) {
    if (keys.parseVersionKey(entry.getKey().toString(UTF_8)) == null) {
      return null;
    }
    return decodeVersion(entry);
  }

  // -------------------------------------------------------------------------------- presence

  @Override
  public String replicaId() {
    return options.replicaId();
  }

  @Override
  public void replicaStarted() {
    checkOpen();
    synchronized (presenceLock) {
      long lease = ensureLease();
      await(kv.put(Keys.bytes(keys.replica(replicaId())), ByteSequence.from(Instant.now().toString(), UTF_8),
          PutOption.builder().withLeaseId(lease).build()), "the announcement of replica " + replicaId(), true);
      replicaAnnounced = true;
    }
  }

  @Override
  public void nodeConnected(NodePresence node) {
    checkOpen();
    synchronized (presenceLock) {
      announced.put(node.nodeId(), node);
      long lease = ensureLease();
      await(kv.put(Keys.bytes(keys.presence(replicaId(), node.nodeId())), ByteSequence.from(Codec.encodePresence(node)),
          PutOption.builder().withLeaseId(lease).build()), "the presence of node " + node.nodeId(), true);
    }
  }

  @Override
  public void nodeDisconnected(String nodeId) {
    checkOpen();
    synchronized (presenceLock) {
      announced.remove(nodeId);
      await(kv.delete(Keys.bytes(keys.presence(replicaId(), nodeId))), "the departure of node " + nodeId, true);
    }
  }

  @Override
  public void replicaStopped() {
    synchronized (presenceLock) {
      announced.clear();
      replicaAnnounced = false;
      stopKeepAlive();
      long lease = leaseId;
      leaseId = 0;
      if (lease != 0 && !closed) {
        await(client.getLeaseClient().revoke(lease), "the revocation of the lease of replica " + replicaId(), true);
      }
    }
  }

  /** {@inheritDoc} Watches {@code presence/} from the current revision; see {@link PresenceWatch}. */
  @Override
  public AutoCloseable watchNodes(Consumer<Change> listener) {
    Objects.requireNonNull(listener, "listener");
    checkOpen();
    PresenceWatch watch = new PresenceWatch(this, listener);
    presenceWatches.add(watch);
    try {
      watch.start();
    } catch (RuntimeException e) {
      watch.close();
      throw e;
    }
    return watch;
  }

  void presenceWatchClosed(PresenceWatch watch) {
    presenceWatches.remove(watch);
  }

  /** The store's revision now. */
  long currentRevision() {
    return await(kv.get(Keys.bytes(keys.replicasPrefix()), GetOption.builder().isPrefix(true).withCountOnly(true)
        .build()), "the current revision", false).getHeader().getRevision();
  }

  @Override
  public Fleet fleet() {
    checkOpen();
    ledgerWriter.awaitAllPending(); // this replica's ACKs are in the applied versions it lists
    GetResponse replicas = await(kv.get(Keys.bytes(keys.replicasPrefix()), GetOption.builder()
        .isPrefix(true).withKeysOnly(true).build()), "the replicas", false);
    long revision = replicas.getHeader().getRevision();
    GetResponse ledger = await(kv.get(Keys.bytes(keys.ledgerPrefix()), GetOption.builder()
        .isPrefix(true).withRevision(revision).build()), "the ledger", false);
    GetResponse presence = await(kv.get(Keys.bytes(keys.presencePrefix()), GetOption.builder()
        .isPrefix(true).withRevision(revision).build()), "the presence", false);
    List<String> replicaIds = new ArrayList<>();
    for (KeyValue entry : replicas.getKvs()) {
      replicaIds.add(Keys.unescape(entry.getKey().toString(UTF_8).substring(keys.replicasPrefix().length())));
    }
    replicaIds.sort(Comparator.naturalOrder());
    Map<String, Map<String, Long>> applied = new HashMap<>();
    for (KeyValue entry : ledger.getKvs()) {
      String rest = entry.getKey().toString(UTF_8).substring(keys.ledgerPrefix().length());
      int slash = rest.indexOf('/');
      if (slash < 0) {
        continue;
      }
      String nodeId = Keys.unescape(rest.substring(0, slash));
      String service = Keys.unescape(rest.substring(slash + 1));
      long version = Codec.decodeLedger(nodeId, service, entry.getValue().getBytes()).appliedVersion();
      if (version > 0) {
        applied.computeIfAbsent(nodeId, n -> new TreeMap<>()).put(service, version);
      }
    }
    List<NodePresence> nodes = new ArrayList<>();
    for (KeyValue entry : presence.getKvs()) {
      String rest = entry.getKey().toString(UTF_8).substring(keys.presencePrefix().length());
      int slash = rest.indexOf('/');
      if (slash < 0) {
        continue;
      }
      String replica = Keys.unescape(rest.substring(0, slash));
      NodePresence node = Codec.decodePresence(replica, entry.getValue().getBytes(), Map.of());
      Map<String, Long> versions = new HashMap<>();
      for (String service : node.services()) {
        Long v = applied.getOrDefault(node.nodeId(), Map.of()).get(service);
        if (v != null) {
          versions.put(service, v);
        }
      }
      nodes.add(new NodePresence(replica, node.nodeId(), node.services(), node.metadata(), node.connectedAt(), versions));
    }
    nodes.sort(Comparator.comparing(NodePresence::nodeId).thenComparing(NodePresence::replicaId));
    return new Fleet(replicaIds, nodes);
  }

  /** Under presenceLock: this replica's lease, granted (and kept alive) if there is none. */
  private long ensureLease() {
    if (leaseId != 0) {
      return leaseId;
    }
    long ttl = options.leaseTtl().toSeconds();
    leaseId = await(client.getLeaseClient().grant(ttl), "a lease for replica " + replicaId(), true).getID();
    long every = Math.max(200, options.leaseTtl().toMillis() / 3);
    keepAlive = scheduler.scheduleWithFixedDelay(this::keepAlive, every, every, TimeUnit.MILLISECONDS);
    log.debug("replica {}: lease {} granted, TTL {} s", replicaId(), Long.toHexString(leaseId), ttl);
    return leaseId;
  }

  /** Scheduler thread: renews the lease; a lease that expired meanwhile is replaced and every entry re-announced. */
  private void keepAlive() {
    long lease;
    synchronized (presenceLock) {
      lease = leaseId;
    }
    if (lease == 0 || closed) {
      return;
    }
    boolean expired;
    try {
      LeaseKeepAliveResponse response = await(client.getLeaseClient().keepAliveOnce(lease),
          "the keep-alive of replica " + replicaId(), false);
      expired = response.getTTL() <= 0;
    } catch (StoreException e) {
      Throwable cause = e.getCause();
      expired = !e.isUnavailable() && String.valueOf(cause == null ? e.getMessage() : cause.getMessage())
          .contains("not found");
      if (!expired) {
        log.debug("replica {}: keep-alive failed, retrying: {}", replicaId(), e.getMessage());
        return;
      }
    } catch (RuntimeException e) {
      expired = String.valueOf(e.getMessage()).contains("not found");
      if (!expired) {
        log.debug("replica {}: keep-alive failed, retrying: {}", replicaId(), e.toString());
        return;
      }
    }
    if (expired) {
      reannounce(lease);
    }
  }

  private void reannounce(long expiredLease) {
    synchronized (presenceLock) {
      if (leaseId != expiredLease || closed) {
        return;
      }
      log.warn("replica {}: lease {} expired (etcd unreachable for longer than {}), announcing again",
          replicaId(), Long.toHexString(expiredLease), options.leaseTtl());
      stopKeepAlive();
      leaseId = 0;
      try {
        long lease = ensureLease();
        if (replicaAnnounced) {
          await(kv.put(Keys.bytes(keys.replica(replicaId())), ByteSequence.from(Instant.now().toString(), UTF_8),
              PutOption.builder().withLeaseId(lease).build()), "the announcement of replica " + replicaId(), true);
        }
        for (NodePresence node : announced.values()) {
          await(kv.put(Keys.bytes(keys.presence(replicaId(), node.nodeId())),
              ByteSequence.from(Codec.encodePresence(node)), PutOption.builder().withLeaseId(lease).build()),
              "the presence of node " + node.nodeId(), true);
        }
      } catch (RuntimeException e) {
        log.warn("replica {}: announcing again failed, next keep-alive retries: {}", replicaId(), e.toString());
        if (leaseId == 0 && keepAlive == null) {
          // keep trying: a task that only re-grants
          keepAlive = scheduler.schedule(() -> reannounce(0), options.leaseTtl().toMillis() / 3, TimeUnit.MILLISECONDS);
        }
      }
    }
  }

  private void stopKeepAlive() {
    if (keepAlive != null) {
      keepAlive.cancel(false);
      keepAlive = null;
    }
  }

  // --------------------------------------------------------------------------------- helpers

  /** Waits for an etcd call, bounded by the request timeout, mapping failures to {@link StoreException}. */
  /** Sleeps {@code millis} (interrupt-aware) and returns the next, doubled, capped backoff. */
  private static long pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while retrying etcd", e);
    }
    return Math.min(millis * 2, 500);
  }

  <T> T await(CompletableFuture<T> call, String what, boolean write) {
    try {
      return call.get(timeoutNanos, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      call.cancel(true);
      throw StoreException.unavailable("etcd " + options.endpoints() + " did not answer " + what + " within "
          + options.requestTimeout().toMillis() + " ms" + (write ? "; it may still be committed" : ""), e, write);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      call.cancel(true);
      throw new StoreException("interrupted while waiting for " + what, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (unavailable(cause)) {
        throw StoreException.unavailable("etcd " + options.endpoints() + " is unavailable for " + what + ": "
            + cause.getMessage() + (write ? "; it may still be committed" : ""), cause, write);
      }
      throw new StoreException("etcd failed " + what + ": " + cause.getMessage(), cause);
    }
  }

  private static boolean unavailable(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      Status.Code code = null;
      if (t instanceof StatusRuntimeException) {
        code = ((StatusRuntimeException) t).getStatus().getCode();
      } else if (t instanceof io.grpc.StatusException) {
        code = ((io.grpc.StatusException) t).getStatus().getCode();
      } else if (t instanceof EtcdException) {
        io.etcd.jetcd.common.exception.ErrorCode ec = ((EtcdException) t).getErrorCode();
        if (ec == io.etcd.jetcd.common.exception.ErrorCode.UNAVAILABLE
            || ec == io.etcd.jetcd.common.exception.ErrorCode.DEADLINE_EXCEEDED) {
          return true;
        }
      } else if (t instanceof java.net.ConnectException || t instanceof java.io.IOException) {
        return true;
      }
      if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) {
        return true;
      }
      // grpc-java reports a connection closed under a call (a member killed) as UNKNOWN
      if (code == Status.Code.UNKNOWN && t.getMessage() != null && t.getMessage().contains("channel closed")) {
        return true;
      }
    }
    return false;
  }

  private static void checkName(String what, String name) {
    Objects.requireNonNull(name, what);
    if (name.isEmpty()) {
      throw new IllegalArgumentException(what + " must not be empty");
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the etcd store is closed");
    }
  }

  /**
   * Closes the watches, withdraws this replica's presence (revoking its lease, best effort) and
   * disconnects from etcd. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    for (WatchHandle handle : List.copyOf(watches)) {
      handle.close();
    }
    for (PresenceWatch watch : List.copyOf(presenceWatches)) {
      watch.close();
    }
    synchronized (presenceLock) {
      if (leaseId != 0) {
        try {
          replicaStopped();
        } catch (RuntimeException e) {
          log.warn("replica {}: revoking the lease failed, its entries expire with it: {}", replicaId(), e.toString());
        }
      }
      closed = true;
      stopKeepAlive();
    }
    ledgerWriter.close();
    scheduler.shutdownNow();
    client.close();
  }

  /**
   * For tests: what a crashed replica leaves behind. Stops renewing the lease without revoking it
   * (its presence expires with the TTL), stops the watches and disconnects.
   */
  void abandon() {
    synchronized (presenceLock) {
      closed = true;
      stopKeepAlive();
    }
    for (WatchHandle handle : List.copyOf(watches)) {
      handle.close();
    }
    for (PresenceWatch watch : List.copyOf(presenceWatches)) {
      watch.close();
    }
    ledgerWriter.close();
    scheduler.shutdownNow();
    client.close();
  }
}
