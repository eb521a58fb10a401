package io.mcp.core.auth;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The string settings given to one {@link io.mcp.core.spi.AuthenticatorProvider}, read with
 * messages that name the setting. Values of secret settings are never put in a message.
 */
final class Settings {
  private final String authenticator;
  private final Map<String, String> values;

  private Settings(String authenticator, Map<String, String> values) {
    this.authenticator = authenticator;
    this.values = values;
  }

  /**
   * Wraps {@code values}, refusing keys outside {@code known} (a typo would otherwise silently
   * weaken the configuration).
   */
  static Settings of(String authenticator, Map<String, String> values, Set<String> known) {
    Objects.requireNonNull(values, "settings");
    for (String key : values.keySet()) {
      if (!known.contains(key)) {
        throw new IllegalArgumentException("unknown setting \"" + key + "\" for authenticator " + authenticator
            + " (known: " + new TreeSet<>(known) + ")");
      }
    }
    return new Settings(authenticator, values);
  }

  /** The value, or {@code null} when absent or blank. */
  String optional(String key) {
    String value = values.get(key);
    return value == null || value.isBlank() ? null : value;
  }

  String required(String key) {
    String value = optional(key);
    if (value == null) {
      throw new IllegalArgumentException("setting \"" + key + "\" of authenticator " + authenticator
          + " is missing or empty");
    }
    return value;
  }

  boolean flag(String key, boolean defaultValue) {
    String value = optional(key);
    if (value == null) {
      return defaultValue;
    }
    if (value.equalsIgnoreCase("true")) {
      return true;
    }
    if (value.equalsIgnoreCase("false")) {
      return false;
    }
    throw invalid(key, "must be true or false, not \"" + value + "\"");
  }

  long nonNegative(String key, long defaultValue) {
    String value = optional(key);
    if (value == null) {
      return defaultValue;
    }
    long parsed;
    try {
      parsed = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw invalid(key, "must be a whole number, not \"" + value + "\"");
    }
    if (parsed < 0) {
      throw invalid(key, "must not be negative, not " + parsed);
    }
    return parsed;
  }

  /** Refuses {@code key} when present: it does not apply to {@code why}. */
  void absent(String key, String why) {
    if (values.containsKey(key)) {
      throw invalid(key, "does not apply to " + why);
    }
  }

  IllegalArgumentException invalid(String key, String problem) {
    return new IllegalArgumentException("setting \"" + key + "\" of authenticator " + authenticator + " " + problem);
  }
}
