package io.mcp.core;

/** A node's health as its agent reports it. */
public enum Health {
  /** Nothing reported yet. */
  UNKNOWN,
  HEALTHY,
  /** Working, with reduced capacity or quality. */
  DEGRADED,
  UNHEALTHY
}
