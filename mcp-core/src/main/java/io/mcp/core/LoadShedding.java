package io.mcp.core;

import io.mcp.core.internal.Checks;
import java.time.Duration;
import java.util.Objects;

/**
 * When a controller replica sends some of its agents GOING_AWAY so that they reconnect to another
 * replica. Only acts when the controller has a {@link io.mcp.core.spi.FleetPresence} showing at
 * least two live replicas.
 *
 * <p>The fair-share policy: every {@code interval}, with {@code T} agents connected across {@code
 * R} live replicas, a replica's share is {@code S = ceil(T / R)}. A replica holding more than
 * {@code max(S + 1, ceil(S * (1 + slack)))} agents closes its most recently connected ones with
 * GOING_AWAY until it holds {@code S}, at most {@code maxPerRound} per interval. Agents move on to
 * their next endpoint after a random delay (see {@link ReconnectingClient}), so the fleet spreads
 * over a few rounds without a reconnect storm. The slack keeps a replica from shedding over small
 * differences and from two replicas trading agents back and forth.
 *
 * <p>Immutable and thread-safe.
 */
public final class LoadShedding {
  private static final LoadShedding DISABLED = new LoadShedding(false, 0, 0, Duration.ofSeconds(1));

  private final boolean enabled;
  private final double slack;
  private final int maxPerRound;
  private final Duration interval;

  private LoadShedding(boolean enabled, double slack, int maxPerRound, Duration interval) {
    this.enabled = enabled;
    this.slack = slack;
    this.maxPerRound = maxPerRound;
    this.interval = interval;
  }

  /** Never shed. */
  public static LoadShedding disabled() {
    return DISABLED;
  }

  /** The default: fair share with 25 % slack, at most 100 agents per round, every 15 s. */
  public static LoadShedding defaults() {
    return fairShare(0.25, 100, Duration.ofSeconds(15));
  }

  /**
   * The fair-share policy (see the class description).
   *
   * @param slack from 0 to 10: how far above its share a replica may hold agents
   * @param maxPerRound from 1 to 1,000,000: agents closed per interval at most
   * @param interval positive: how often the replica compares its load with the fleet's
   */
  public static LoadShedding fairShare(double slack, int maxPerRound, Duration interval) {
    if (!(slack >= 0 && slack <= 10)) {
      throw new IllegalArgumentException("slack " + slack + " outside 0..10");
    }
    Checks.range("maxPerRound", maxPerRound, 1, 1_000_000);
    return new LoadShedding(true, slack, maxPerRound, Checks.positive("interval", interval));
  }

  public boolean enabled() {
    return enabled;
  }

  public double slack() {
    return slack;
  }

  public int maxPerRound() {
    return maxPerRound;
  }

  public Duration interval() {
    return interval;
  }

  /**
   * How many agents a replica holding {@code local} of {@code total} agents across {@code
   * replicas} live replicas closes in this round (0 when disabled or within its share).
   */
  public int excess(int local, int total, int replicas) {
    if (!enabled || replicas < 2 || local <= 0) {
      return 0;
    }
    int share = (int) Math.ceil((double) Math.max(total, local) / replicas);
    int limit = Math.max(share + 1, (int) Math.ceil(share * (1 + slack)));
    if (local <= limit) {
      return 0;
    }
    return Math.min(maxPerRound, local - share);
  }

  @Override
  public String toString() {
    return enabled ? "fairShare(slack=" + slack + ", maxPerRound=" + maxPerRound + ", interval=" + interval + ")"
        : "disabled";
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof LoadShedding)) {
      return false;
    }
    LoadShedding that = (LoadShedding) o;
    return enabled == that.enabled && slack == that.slack && maxPerRound == that.maxPerRound
        && interval.equals(that.interval);
  }

  @Override
  public int hashCode() {
    return Objects.hash(enabled, slack, maxPerRound, interval);
  }
}
