package io.mcp.core;

import io.mcp.core.internal.Checks;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link ReconnectingClient} spaces its attempts: exponential backoff with jitter.
 *
 * <pre>
 * delay(attempt) = min(maxBackoff, initialBackoff × multiplier^attempt) × (1 + jitter × (2u − 1)),
 *                  u uniform in [0, 1)
 * </pre>
 *
 * <p>Defaults: initial 100 ms, multiplier 2, max 30 s, jitter 0.2 (±20 %), and the attempt count
 * resets once a session stayed READY for the healthy period (30 s). After a GOING_AWAY the client
 * waits a random delay in [0, initialBackoff) instead, so a fleet told to leave does not return all
 * at once. Immutable and thread-safe.
 */
public final class ReconnectPolicy {
  private static final ReconnectPolicy DEFAULTS = builder().build();

  private final Duration initialBackoff;
  private final double multiplier;
  private final Duration maxBackoff;
  private final double jitter;
  private final Duration healthyPeriod;

  private ReconnectPolicy(Builder b) {
    initialBackoff = b.initialBackoff;
    multiplier = b.multiplier;
    maxBackoff = b.maxBackoff;
    jitter = b.jitter;
    healthyPeriod = b.healthyPeriod;
  }

  public static ReconnectPolicy defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Duration initialBackoff() {
    return initialBackoff;
  }

  public double multiplier() {
    return multiplier;
  }

  public Duration maxBackoff() {
    return maxBackoff;
  }

  public double jitter() {
    return jitter;
  }

  public Duration healthyPeriod() {
    return healthyPeriod;
  }

  /** The delay before attempt {@code attempt} (0-based) for a uniform random {@code u} in [0, 1). */
  public long delayNanos(int attempt, double u) {
    double base = initialBackoff.toNanos() * Math.pow(multiplier, Math.min(attempt, 1_000));
    double capped = Math.min(base, maxBackoff.toNanos());
    return Math.max(0, Math.round(capped * (1 + jitter * (2 * u - 1))));
  }

  /** The delay after a GOING_AWAY for a uniform random {@code u} in [0, 1). */
  public long goingAwayDelayNanos(double u) {
    return Math.round(initialBackoff.toNanos() * u);
  }

  @Override
  public String toString() {
    return "ReconnectPolicy{initial=" + initialBackoff.toMillis() + "ms, multiplier=" + multiplier + ", max="
        + maxBackoff.toMillis() + "ms, jitter=" + jitter + ", healthy=" + healthyPeriod.toMillis() + "ms}";
  }

  /** Builds a {@link ReconnectPolicy}. Not thread-safe. */
  public static final class Builder {
    private Duration initialBackoff = Duration.ofMillis(100);
    private double multiplier = 2.0;
    private Duration maxBackoff = Duration.ofSeconds(30);
    private double jitter = 0.2;
    private Duration healthyPeriod = Duration.ofSeconds(30);

    private Builder() {}

    public Builder initialBackoff(Duration initialBackoff) {
      this.initialBackoff = Checks.positive("initialBackoff", initialBackoff);
      return this;
    }

    /** Growth per attempt, ≥ 1. */
    public Builder multiplier(double multiplier) {
      if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
        throw new IllegalArgumentException("multiplier " + multiplier + " outside [1, ∞)");
      }
      this.multiplier = multiplier;
      return this;
    }

    public Builder maxBackoff(Duration maxBackoff) {
      this.maxBackoff = Checks.positive("maxBackoff", maxBackoff);
      return this;
    }

    /** Relative spread of each delay, 0..1; 0.2 means ±20 %. */
    public Builder jitter(double jitter) {
      if (!(jitter >= 0 && jitter <= 1)) {
        throw new IllegalArgumentException("jitter " + jitter + " outside 0..1");
      }
      this.jitter = jitter;
      return this;
    }

    /** READY this long resets the attempt count. */
    public Builder healthyPeriod(Duration healthyPeriod) {
      this.healthyPeriod = Checks.positive("healthyPeriod", healthyPeriod);
      return this;
    }

    public ReconnectPolicy build() {
      if (maxBackoff.compareTo(initialBackoff) < 0) {
        throw new IllegalArgumentException("maxBackoff " + maxBackoff.toMillis() + " ms is below initialBackoff "
            + initialBackoff.toMillis() + " ms");
      }
      return new ReconnectPolicy(this);
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ReconnectPolicy)) {
      return false;
    }
    ReconnectPolicy that = (ReconnectPolicy) o;
    return multiplier == that.multiplier && jitter == that.jitter && initialBackoff.equals(that.initialBackoff)
        && maxBackoff.equals(that.maxBackoff) && healthyPeriod.equals(that.healthyPeriod);
  }

  @Override
  public int hashCode() {
    return Objects.hash(initialBackoff, multiplier, maxBackoff, jitter, healthyPeriod);
  }
}
