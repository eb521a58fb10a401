package io.mcp.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * A credential read from configuration (a token, a shared secret). {@link #toString()} prints
 * {@code ***}, never the value, so a record holding one can be logged; read the value with {@link
 * #reveal()} where it is used. {@link #equals(Object)} compares in constant time.
 *
 * <p>Immutable and thread-safe.
 */
public final class Secret {
  private final String value;

  private Secret(String value) {
    this.value = value;
  }

  /**
   * A secret holding {@code value}.
   *
   * @throws IllegalArgumentException if {@code value} is empty
   */
  public static Secret of(String value) {
    Objects.requireNonNull(value, "value");
    if (value.isEmpty()) {
      throw new IllegalArgumentException("a secret must not be empty");
    }
    return new Secret(value);
  }

  /** The value itself; pass it on, never log it. */
  public String reveal() {
    return value;
  }

  /** The length of the value in UTF-8 bytes (for checks such as a minimum length). */
  public int byteLength() {
    return value.getBytes(StandardCharsets.UTF_8).length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Secret that && MessageDigest.isEqual(
        value.getBytes(StandardCharsets.UTF_8), that.value.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public int hashCode() {
    return 1; // no information about the value
  }

  /** Always {@code ***}. */
  @Override
  public String toString() {
    return "***";
  }
}
