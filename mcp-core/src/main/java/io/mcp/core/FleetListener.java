package io.mcp.core;

/**
 * Receives fleet events from a {@link Controller}. Called on a delivery thread, one event at a time
 * per subscription and in order; a slow listener delays only its own subscription, which then
 * receives coalesced events after a {@link FleetEvent.Type#LAGGED} event. A listener may block: it
 * holds its delivery thread, and the controller adds a thread for the other subscriptions while it
 * does (see docs/THREADING.md); {@link Controller#awaitRollout} never waits for listeners.
 */
@FunctionalInterface
public interface FleetListener {
  void onEvent(FleetEvent event);
}
