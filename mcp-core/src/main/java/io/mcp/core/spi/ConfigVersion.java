package io.mcp.core.spi;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * One stored version of a service's configuration: the service, its version number (monotonic per
 * service, never reused), the bytes, and when it was stored. Immutable and thread-safe.
 */
public final class ConfigVersion {
  private final String service;
  private final long version;
  private final byte[] data;
  private final Instant createdAt;

  private ConfigVersion(String service, long version, byte[] data, Instant createdAt) {
    this.service = service;
    this.version = version;
    this.data = data;
    this.createdAt = createdAt;
  }

  /** A version; {@code data} is copied. */
  public static ConfigVersion of(String service, long version, byte[] data, Instant createdAt) {
    if (version < 1) {
      throw new IllegalArgumentException("version " + version + " must be at least 1");
    }
    return new ConfigVersion(Objects.requireNonNull(service, "service"), version, data.clone(),
        Objects.requireNonNull(createdAt, "createdAt"));
  }

  public String service() {
    return service;
  }

  public long version() {
    return version;
  }

  /** A read-only view of the bytes. */
  public ByteBuffer data() {
    return ByteBuffer.wrap(data).asReadOnlyBuffer();
  }

  /** A copy of the bytes. */
  public byte[] dataBytes() {
    return data.clone();
  }

  public int size() {
    return data.length;
  }

  public Instant createdAt() {
    return createdAt;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ConfigVersion)) {
      return false;
    }
    ConfigVersion that = (ConfigVersion) o;
    return version == that.version && service.equals(that.service) && Arrays.equals(data, that.data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(service, version, Arrays.hashCode(data));
  }

  @Override
  public String toString() {
    return service + "@" + version + " (" + data.length + " bytes, " + createdAt + ")";
  }
}
