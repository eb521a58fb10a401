package io.mcp.core.spi;

import io.mcp.core.NodeView;
import java.time.Duration;
import java.util.List;

/**
 * How a new version reaches the nodes of its service: in waves. Each wave is pushed, then the
 * controller waits until every node of the wave has answered (ACK or NACK) or left, or the wave
 * timeout passes. A wave is promoted (the next one follows, after the bake time) only if every one
 * of its nodes answered: each acknowledged the version (or a newer one), or rejected it while
 * {@link #haltOnRejection()} is false and the rejections stay within {@link #rollbackThreshold()}.
 * A node that stays silent until the wave timeout, or disconnects before answering, halts the
 * rollout at once: the nodes not pushed yet stay on the previous released version, and {@link
 * io.mcp.core.RolloutResult#outcome()} names the nodes and why. There is no quorum: a canary must
 * acknowledge, not merely fail to object. The last wave is not promoted to anything, so its silent
 * nodes only show as timed out.
 *
 * <p>Nodes that connect while a rollout is under way receive the last released version, and the
 * new one with the last wave; the new one becomes the released version once its last wave is
 * pushed (a rollout of one wave: as it starts). Built-ins are in {@link
 * io.mcp.core.RolloutPolicies}: all at once, canary by percentage or by labels, and automatic
 * rollback above a rejection threshold. Implementations must be thread-safe.
 */
public interface RolloutPolicy {
  /** A short name for logs and events, for example {@code canary(10%)}. */
  String name();

  /** Splits {@code targets} (the service's connected nodes, in a stable order) into waves. */
  List<List<NodeView>> waves(List<NodeView> targets);

  /** Time to wait after a wave was promoted before pushing the next; default none. */
  default Duration bakeTime() {
    return Duration.ZERO;
  }

  /**
   * Longest wait for a wave's answers; default 60 s. A node of the wave still silent then halts the
   * rollout (unless the wave is the last).
   */
  default Duration waveTimeout() {
    return Duration.ofSeconds(60);
  }

  /**
   * Fraction of rejections among the nodes pushed so far above which the rollout stops and the
   * previous version's content is applied again (a new version). Negative (the default): never.
   */
  default double rollbackThreshold() {
    return -1;
  }

  /** Whether any rejection stops the rollout before its next wave; default true. */
  default boolean haltOnRejection() {
    return true;
  }
}
