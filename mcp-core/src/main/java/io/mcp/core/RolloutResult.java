package io.mcp.core;

import java.util.Map;
import java.util.Set;

/**
 * The answer of {@link Controller#awaitRollout}: which target nodes acknowledged the version (or a
 * newer one), which rejected it and why, and which said nothing before the deadline.
 *
 * @param service the service
 * @param version the version awaited
 * @param satisfied whether the condition held
 * @param acked nodes that applied this version or a newer one
 * @param rejected nodes that rejected it, with their reasons
 * @param timedOut target nodes that did neither in time
 */
public record RolloutResult(String service, long version, boolean satisfied, Set<String> acked,
    Map<String, String> rejected, Set<String> timedOut) {}
