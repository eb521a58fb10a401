package io.mcp.grpc.internal;

import io.mcp.core.FleetEvent;
import io.mcp.grpc.proto.StatusUpdate;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Converts each {@link FleetEvent} to a {@link StatusUpdate} once for all StreamStatus subscribers.
 * The controller hands the same event instance to every subscription, each on its own delivery
 * task; this cache lets the first of them build the message and the others reuse it.
 *
 * <p>It is a direct-mapped table keyed by the event's identity: bounded memory, no locks, no
 * eviction bookkeeping. A collision or a race only costs a repeated conversion, never a wrong
 * message, because entries are immutable and matched by reference.
 */
public final class UpdateCache {
  private final AtomicReferenceArray<Entry> table;
  private final int mask;

  /** Creates a cache of {@code size} slots, rounded up to a power of two. */
  public UpdateCache(int size) {
    if (size < 1 || size > 1 << 20) {
      throw new IllegalArgumentException("size " + size + " outside 1.." + (1 << 20));
    }
    int slots = size == 1 ? 1 : Integer.highestOneBit(size - 1) << 1;
    this.table = new AtomicReferenceArray<>(slots);
    this.mask = slots - 1;
  }

  /** Returns the message for {@code event}, building it only if no subscriber has yet. */
  public StatusUpdate update(FleetEvent event) {
    if (event.type() == FleetEvent.Type.LAGGED) {
      return Protos.update(event); // per subscriber; never shared
    }
    int slot = mix(System.identityHashCode(event)) & mask;
    Entry entry = table.get(slot);
    if (entry != null && entry.event == event) {
      return entry.update;
    }
    StatusUpdate update = Protos.update(event);
    table.set(slot, new Entry(event, update));
    return update;
  }

  int slots() {
    return table.length();
  }

  private static int mix(int h) {
    return h ^ (h >>> 16);
  }

  private static final class Entry {
    final FleetEvent event;
    final StatusUpdate update;

    Entry(FleetEvent event, StatusUpdate update) {
      this.event = event;
      this.update = update;
    }
  }
}
