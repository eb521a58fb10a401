package io.mcp.core;

/**
 * Receives fleet events from a {@link Controller}. Called on a delivery thread, one event at a time
 * per subscription and in order; a slow listener delays only its own subscription, which then
 * receives coalesced events after a {@link FleetEvent.Type#LAGGED} event.
 */
@FunctionalInterface
public interface FleetListener {
  void onEvent(FleetEvent event);
}
