package io.mcp.core.internal;

import java.time.Duration;
import java.util.Objects;

/**
 * Argument checks whose messages name the setting, the value and the allowed range, for the options
 * builders of every module.
 */
public final class Checks {
  private Checks() {}

  /** {@code value}, if within {@code min..max}; else "name value outside min..max". */
  public static int range(String name, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " " + value + " outside " + min + ".." + max);
    }
    return value;
  }

  /** {@code value}, if positive; else "name N ms must be positive". */
  public static Duration positive(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " " + value.toMillis() + " ms must be positive");
    }
    return value;
  }
}
