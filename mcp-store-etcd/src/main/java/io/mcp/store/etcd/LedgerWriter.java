package io.mcp.store.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.mcp.core.spi.NodeRecord;
import io.mcp.core.spi.StoreException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit of ledger updates: every ACK and NACK of a fleet becomes a ledger write, and one
 * etcd transaction per write would bound a replica to etcd's per-transaction latency. Callers
 * enqueue (and wait, or not: see {@link #update}); one writer thread takes up to {@link #MAX_BATCH} waiting updates, reads the
 * entries it has not cached in one transaction, applies the updates in arrival order, and commits
 * every changed entry in one transaction guarded by each entry's mod revision. If another replica
 * changed one of them meanwhile the comparison fails, nothing of the batch is written, and each
 * update is redone alone by compare-and-swap.
 *
 * <p>An update that is not waited for is still read back by {@link #awaitPending} (the store's
 * {@code nodeRecord} waits for the key's pending updates), and {@link #close} writes what is queued
 * before it returns (bounded); what a crashed process had queued (milliseconds of ACKs) is lost,
 * which the agents' next Hello, carrying their applied versions, makes good.
 */
final class LedgerWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LedgerWriter.class);
  /** Keys per batch; etcd's default {@code --max-txn-ops} is 128. */
  static final int MAX_BATCH = 100;
  /** Updates queued beyond this make callers wait for theirs (backpressure). */
  static final int MAX_QUEUED = 10_000;
  /** Tries of a batch when etcd is unavailable. */
  static final int ATTEMPTS = 3;

  private record Update(String nodeId, String service, String what, Function<NodeRecord, NodeRecord> change,
      CompletableFuture<Void> done) {}

  private final EtcdConfigStore store;
  private final LinkedBlockingQueue<Update> queue = new LinkedBlockingQueue<>();
  /** The newest queued update per ledger key, until it is committed. */
  private final java.util.concurrent.ConcurrentHashMap<String, CompletableFuture<Void>> pending =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final Thread thread;
  private volatile boolean closed;

  LedgerWriter(EtcdConfigStore store) {
    this.store = store;
    this.thread = new Thread(this::run, "mcp-etcd-ledger");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /**
   * Enqueues the update; with {@code wait} (or when more than {@link #MAX_QUEUED} are queued) waits
   * for its commit, up to three request timeouts. A failure of an update not waited for is logged.
   */
  void update(String nodeId, String service, String what, Function<NodeRecord, NodeRecord> change, boolean wait) {
    Update update = new Update(nodeId, service, what, change, new CompletableFuture<>());
    if (closed) {
      throw new IllegalStateException("the etcd store is closed");
    }
    String key = store.keys().ledger(nodeId, service);
    pending.put(key, update.done());
    update.done().whenComplete((ok, error) -> {
      pending.remove(key, update.done());
      if (error != null && !wait) {
        log.warn("ledger update of node {} ({} of {}) failed: {}", nodeId, what, service, error.toString());
      }
    });
    queue.add(update);
    if (!wait && queue.size() <= MAX_QUEUED) {
      return;
    }
    await(update, nodeId, service, what);
  }

  /** Waits (bounded, ignoring its outcome) for the pending update of {@code key}, if any. */
  void awaitPending(String key) {
    CompletableFuture<Void> last = pending.get(key);
    if (last == null) {
      return;
    }
    try {
      last.get(3 * store.timeoutNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // the read shows what etcd holds
    }
  }

  /** Waits (bounded, ignoring outcomes) for every update queued now. */
  void awaitAllPending() {
    for (String key : List.copyOf(pending.keySet())) {
      awaitPending(key);
    }
  }

  private void await(Update update, String nodeId, String service, String what) {
    try {
      update.done().get(3 * store.timeoutNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw StoreException.unavailable("the ledger update of node " + nodeId + " (" + what + " of " + service
          + ") was not committed within " + TimeUnit.NANOSECONDS.toMillis(3 * store.timeoutNanos())
          + " ms; it may still be", e, true);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while waiting for the ledger update of node " + nodeId, e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException) {
        throw (RuntimeException) e.getCause();
      }
      throw new StoreException("the ledger update of node " + nodeId + " failed", e.getCause());
    }
  }

  private void run() {
    List<Update> batch = new ArrayList<>();
    while (true) {
      try {
        Update first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          if (closed) {
            break; // closed and drained
          }
          continue;
        }
        batch.clear();
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        commitRetrying(batch);
      } catch (InterruptedException e) {
        break; // close() gave up waiting for the queue to drain
      } catch (RuntimeException e) {
        for (Update update : batch) {
          update.done().completeExceptionally(e);
        }
      }
    }
    StoreException closedError = new StoreException("the etcd store closed before the ledger update was written");
    for (Update update; (update = queue.poll()) != null; ) {
      update.done().completeExceptionally(closedError);
    }
  }

  /**
   * Commits, trying again up to {@link #ATTEMPTS} times when etcd was unavailable (a member that
   * just died fails the request in flight; the next goes to another): entries only grow, so a batch
   * that did commit before the error is found unnecessary the second time.
   */
  private void commitRetrying(List<Update> batch) throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      try {
        commit(batch);
        return;
      } catch (StoreException e) {
        if (!e.isUnavailable() || attempt >= ATTEMPTS || closed) {
          throw e;
        }
        for (Update update : batch) {
          store.forgetLedger(store.keys().ledger(update.nodeId(), update.service()));
        }
        Thread.sleep(100L * attempt);
      }
    }
  }

  private void commit(List<Update> batch) {
    Map<String, List<Update>> byKey = new LinkedHashMap<>();
    for (Update update : batch) {
      byKey.computeIfAbsent(store.keys().ledger(update.nodeId(), update.service()), k -> new ArrayList<>()).add(update);
    }
    Map<String, EtcdConfigStore.LedgerEntry> current = new LinkedHashMap<>();
    List<String> unknown = new ArrayList<>();
    for (String key : byKey.keySet()) {
      EtcdConfigStore.LedgerEntry cached = store.cachedLedger(key);
      if (cached != null) {
        current.put(key, cached);
      } else {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      Op[] reads = unknown.stream().map(k -> (Op) Op.get(Keys.bytes(k), GetOption.DEFAULT)).toArray(Op[]::new);
      TxnResponse read = store.await(store.kv().txn().Then(reads).commit(), "the ledger of " + unknown.size()
          + " node(s)", false);
      List<GetResponse> answers = read.getGetResponses();
      for (int i = 0; i < unknown.size(); i++) {
        String key = unknown.get(i);
        Update any = byKey.get(key).get(0);
        GetResponse answer = answers.get(i);
        current.put(key, answer.getKvs().isEmpty()
            ? new EtcdConfigStore.LedgerEntry(NodeRecord.empty(any.nodeId(), any.service()), 0)
            : new EtcdConfigStore.LedgerEntry(Codec.decodeLedger(any.nodeId(), any.service(),
                answer.getKvs().get(0).getValue().getBytes()), answer.getKvs().get(0).getModRevision()));
      }
    }
    List<Cmp> compares = new ArrayList<>();
    List<Op> puts = new ArrayList<>();
    Map<String, NodeRecord> written = new LinkedHashMap<>();
    for (Map.Entry<String, List<Update>> entry : byKey.entrySet()) {
      EtcdConfigStore.LedgerEntry before = current.get(entry.getKey());
      NodeRecord record = before.record();
      for (Update update : entry.getValue()) {
        NodeRecord next = update.change().apply(record);
        if (next != null) {
          record = next;
        }
      }
      if (record != before.record()) {
        ByteSequence key = Keys.bytes(entry.getKey());
        compares.add(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(before.modRevision())));
        puts.add(Op.put(key, ByteSequence.from(Codec.encodeLedger(record.appliedVersion(), record.rejectedVersion(),
            record.rejectedReason())), PutOption.DEFAULT));
        written.put(entry.getKey(), record);
      }
    }
    if (!puts.isEmpty()) {
      TxnResponse txn = store.await(store.kv().txn().If(compares.toArray(new Cmp[0])).Then(puts.toArray(new Op[0]))
          .commit(), "the ledger update of " + puts.size() + " node(s)", true);
      if (!txn.isSucceeded()) {
        log.debug("a ledger batch of {} entries lost a race with another replica; updating them one by one",
            puts.size());
        for (String key : byKey.keySet()) {
          store.forgetLedger(key);
        }
        for (Update update : batch) {
          try {
            store.updateLedgerAlone(update.nodeId(), update.service(), update.what(), update.change());
            update.done().complete(null);
          } catch (RuntimeException e) {
            update.done().completeExceptionally(e);
          }
        }
        return;
      }
      long revision = txn.getHeader().getRevision();
      for (Map.Entry<String, NodeRecord> entry : written.entrySet()) {
        store.cacheLedger(entry.getKey(), new EtcdConfigStore.LedgerEntry(entry.getValue(), revision));
      }
    }
    for (String key : byKey.keySet()) {
      if (!written.containsKey(key)) {
        store.cacheLedger(key, current.get(key));
      }
    }
    for (Update update : batch) {
      update.done().complete(null);
    }
  }

  /** Writes what is queued (waiting up to one request timeout), then stops the writer thread. */
  @Override
  public void close() {
    closed = true;
    try {
      thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(store.timeoutNanos())));
      if (thread.isAlive()) {
        thread.interrupt();
        thread.join(TimeUnit.SECONDS.toMillis(5));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
