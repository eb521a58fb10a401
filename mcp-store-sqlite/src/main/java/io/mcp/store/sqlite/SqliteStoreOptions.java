package io.mcp.store.sqlite;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link SqliteConfigStore}. Immutable; build with {@link #builder()}, change with
 * {@link #toBuilder()}.
 *
 * <table>
 *   <caption>Settings and defaults</caption>
 *   <tr><th>setting</th><th>default</th></tr>
 *   <tr><td>historyLimit (versions kept per service; older ones are pruned at the service's next
 *       append, their numbers are never reused)</td><td>100</td></tr>
 *   <tr><td>busyTimeout (how long a transaction waits for another process holding the database
 *       lock before failing)</td><td>5 s</td></tr>
 *   <tr><td>watchPollInterval (how often watchers look for versions appended by another process
 *       sharing the file; appends of this store are delivered at once)</td><td>1 s</td></tr>
 *   <tr><td>clock (the {@code createdAt} of new versions)</td><td>system UTC</td></tr>
 * </table>
 */
public final class SqliteStoreOptions {
  private static final SqliteStoreOptions DEFAULTS = new Builder().build();

  private final int historyLimit;
  private final Duration busyTimeout;
  private final Duration watchPollInterval;
  private final Clock clock;

  private SqliteStoreOptions(Builder b) {
    historyLimit = b.historyLimit;
    busyTimeout = b.busyTimeout;
    watchPollInterval = b.watchPollInterval;
    clock = b.clock;
  }

  /** The defaults. */
  public static SqliteStoreOptions defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these settings. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.historyLimit = historyLimit;
    b.busyTimeout = busyTimeout;
    b.watchPollInterval = watchPollInterval;
    b.clock = clock;
    return b;
  }

  public int historyLimit() {
    return historyLimit;
  }

  public Duration busyTimeout() {
    return busyTimeout;
  }

  public Duration watchPollInterval() {
    return watchPollInterval;
  }

  public Clock clock() {
    return clock;
  }

  @Override
  public String toString() {
    return "SqliteStoreOptions{historyLimit=" + historyLimit + ", busyTimeout=" + busyTimeout
        + ", watchPollInterval=" + watchPollInterval + "}";
  }

  /** Builds {@link SqliteStoreOptions}. Not thread-safe. */
  public static final class Builder {
    private int historyLimit = 100;
    private Duration busyTimeout = Duration.ofSeconds(5);
    private Duration watchPollInterval = Duration.ofSeconds(1);
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** Versions kept per service, at least 1. */
    public Builder historyLimit(int historyLimit) {
      if (historyLimit < 1) {
        throw new IllegalArgumentException("historyLimit " + historyLimit + " must be at least 1");
      }
      this.historyLimit = historyLimit;
      return this;
    }

    /** From 0 (fail at once) to {@link Integer#MAX_VALUE} milliseconds. */
    public Builder busyTimeout(Duration busyTimeout) {
      Objects.requireNonNull(busyTimeout, "busyTimeout");
      if (busyTimeout.isNegative() || busyTimeout.compareTo(Duration.ofMillis(Integer.MAX_VALUE)) > 0) {
        throw new IllegalArgumentException("busyTimeout " + busyTimeout + " must be between 0 and "
            + Duration.ofMillis(Integer.MAX_VALUE));
      }
      this.busyTimeout = busyTimeout;
      return this;
    }

    /** At least 1 ms. */
    public Builder watchPollInterval(Duration watchPollInterval) {
      Objects.requireNonNull(watchPollInterval, "watchPollInterval");
      if (watchPollInterval.compareTo(Duration.ofMillis(1)) < 0) {
        throw new IllegalArgumentException("watchPollInterval " + watchPollInterval + " must be at least 1 ms");
      }
      this.watchPollInterval = watchPollInterval;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public SqliteStoreOptions build() {
      return new SqliteStoreOptions(this);
    }
  }
}
