package io.mcp.core;

import java.time.Duration;
import java.util.Objects;

/** Argument checks whose messages name the setting, the value and the allowed range. */
final class Checks {
  private Checks() {}

  static int range(String name, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " " + value + " outside " + min + ".." + max);
    }
    return value;
  }

  static Duration positive(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " " + value.toMillis() + " ms must be positive");
    }
    return value;
  }
}
