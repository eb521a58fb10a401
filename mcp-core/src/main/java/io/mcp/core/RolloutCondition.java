package io.mcp.core;

import java.util.Map;
import java.util.Objects;

/**
 * What {@link Controller#awaitRollout} waits for: every target node acknowledged the version, a
 * percentage of them did, or every node matching a label selector did. Immutable.
 */
public final class RolloutCondition {
  private final int percent;
  private final Map<String, String> labels;

  private RolloutCondition(int percent, Map<String, String> labels) {
    this.percent = percent;
    this.labels = labels;
  }

  /** Every connected node of the service acknowledged. */
  public static RolloutCondition all() {
    return new RolloutCondition(100, Map.of());
  }

  /** At least {@code percent} % (rounded up) of the connected nodes acknowledged. */
  public static RolloutCondition percent(int percent) {
    if (percent < 1 || percent > 100) {
      throw new IllegalArgumentException("percent " + percent + " outside 1..100");
    }
    return new RolloutCondition(percent, Map.of());
  }

  /** Every connected node whose metadata matches {@code labels} acknowledged. */
  public static RolloutCondition labels(Map<String, String> labels) {
    return new RolloutCondition(100, Map.copyOf(Objects.requireNonNull(labels, "labels")));
  }

  public int percentRequired() {
    return percent;
  }

  public Map<String, String> labelSelector() {
    return labels;
  }

  @Override
  public String toString() {
    return !labels.isEmpty() ? "labels" + labels : percent == 100 ? "all" : percent + "%";
  }
}
