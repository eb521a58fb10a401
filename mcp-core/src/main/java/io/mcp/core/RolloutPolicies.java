package io.mcp.core;

import io.mcp.core.spi.RolloutPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The built-in {@link RolloutPolicy} implementations. */
public final class RolloutPolicies {
  private RolloutPolicies() {}

  /** Every node at once. */
  public static RolloutPolicy allAtOnce() {
    return new RolloutPolicy() {
      @Override
      public String name() {
        return "all-at-once";
      }

      @Override
      public List<List<NodeView>> waves(List<NodeView> targets) {
        return List.of(targets);
      }
    };
  }

  /**
   * A canary of {@code percent} % of the nodes (rounded up, at least one), then, once every canary
   * acknowledged the version and {@code bakeTime} passed, the rest. A canary that rejects, stays
   * silent for the wave timeout (60 s) or disconnects halts the rollout: the rest keep the previous
   * released version.
   */
  public static RolloutPolicy canaryPercent(int percent, Duration bakeTime) {
    if (percent < 1 || percent > 100) {
      throw new IllegalArgumentException("canary percent " + percent + " outside 1..100");
    }
    Objects.requireNonNull(bakeTime, "bakeTime");
    return new Canary("canary(" + percent + "%)", bakeTime) {
      @Override
      boolean isCanary(int index, NodeView node, int total) {
        return index < Math.max(1, (int) Math.ceil(total * percent / 100.0));
      }
    };
  }

  /**
   * Nodes whose metadata matches {@code labels} first; the rest once every one of them acknowledged
   * and {@code bakeTime} passed (halted otherwise, as {@link #canaryPercent}).
   */
  public static RolloutPolicy canaryLabels(Map<String, String> labels, Duration bakeTime) {
    Map<String, String> selector = Map.copyOf(labels);
    return new Canary("canary" + selector, bakeTime) {
      @Override
      boolean isCanary(int index, NodeView node, int total) {
        return node.matches(selector);
      }
    };
  }

  /**
   * {@code policy}, but when more than {@code threshold} (0..1) of the nodes pushed so far
   * rejected, the rollout stops and the previous version's content is applied again.
   */
  public static RolloutPolicy withAutoRollback(RolloutPolicy policy, double threshold) {
    if (!(threshold >= 0 && threshold < 1)) {
      throw new IllegalArgumentException("rollback threshold " + threshold + " outside [0, 1)");
    }
    return new RolloutPolicy() {
      @Override
      public String name() {
        return policy.name() + "+rollback(>" + threshold + ")";
      }

      @Override
      public List<List<NodeView>> waves(List<NodeView> targets) {
        return policy.waves(targets);
      }

      @Override
      public Duration bakeTime() {
        return policy.bakeTime();
      }

      @Override
      public Duration waveTimeout() {
        return policy.waveTimeout();
      }

      @Override
      public double rollbackThreshold() {
        return threshold;
      }

      @Override
      public boolean haltOnRejection() {
        return policy.haltOnRejection();
      }
    };
  }

  private abstract static class Canary implements RolloutPolicy {
    private final String name;
    private final Duration bakeTime;

    Canary(String name, Duration bakeTime) {
      this.name = name;
      this.bakeTime = bakeTime;
    }

    abstract boolean isCanary(int index, NodeView node, int total);

    @Override
    public String name() {
      return name;
    }

    @Override
    public List<List<NodeView>> waves(List<NodeView> targets) {
      List<NodeView> canaries = new ArrayList<>();
      List<NodeView> rest = new ArrayList<>();
      for (int i = 0; i < targets.size(); i++) {
        (isCanary(i, targets.get(i), targets.size()) ? canaries : rest).add(targets.get(i));
      }
      return rest.isEmpty() || canaries.isEmpty() ? List.of(targets) : List.of(canaries, rest);
    }

    @Override
    public Duration bakeTime() {
      return bakeTime;
    }
  }
}
