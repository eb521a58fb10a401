package io.mcp.core;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The answer of {@link Controller#awaitRollout}: which target nodes acknowledged the version (or a
 * newer one), which rejected it and why, which said nothing before the deadline, and how the
 * rollout of the version stands.
 *
 * <p>{@code outcome} starts with one of these words, followed by {@code ": "} and the reason when
 * there is one (for example {@code halted: wave 1 of 2 not promoted: node-3 did not acknowledge
 * within the wave timeout of PT1M; the other nodes stay on version 4}):
 *
 * <ul>
 *   <li>{@code running}: waves are still being pushed, awaited or baked;
 *   <li>{@code complete}: every wave was pushed;
 *   <li>{@code halted}: a wave was not promoted (a rejection, or a node that did not acknowledge in
 *       time or disconnected); the nodes not pushed yet stay on the previous released version;
 *   <li>{@code rolled_back}: too many rejections, the previous version's content was applied again;
 *   <li>{@code rollback_failed}: too many rejections, and that content could not be applied again;
 *   <li>{@code failed}: a step of the rollout failed (a store error, a push the server refused);
 *   <li>{@code superseded}: a newer version started rolling out first;
 *   <li>empty: this controller did not roll the version out (another replica did, or it was rolled
 *       out before a restart), or no longer remembers it.
 * </ul>
 *
 * @param service the service
 * @param version the version awaited
 * @param satisfied whether the condition held
 * @param acked nodes that applied this version or a newer one
 * @param rejected nodes that rejected it, with their reasons
 * @param timedOut target nodes that did neither in time
 * @param outcome how this controller's rollout of the version stands, as above
 */
public record RolloutResult(String service, long version, boolean satisfied, Set<String> acked,
    Map<String, String> rejected, Set<String> timedOut, String outcome) {

  public RolloutResult {
    Objects.requireNonNull(outcome, "outcome");
  }

  /** A result without the rollout's outcome (empty). */
  public RolloutResult(String service, long version, boolean satisfied, Set<String> acked,
      Map<String, String> rejected, Set<String> timedOut) {
    this(service, version, satisfied, acked, rejected, timedOut, "");
  }
}
