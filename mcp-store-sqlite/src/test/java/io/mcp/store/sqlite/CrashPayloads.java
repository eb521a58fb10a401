package io.mcp.store.sqlite;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The configurations of the crash test: the bytes of each version are a pure function of (seed,
 * service, version), so any row in the database can be checked against what it must hold.
 */
final class CrashPayloads {
  static final List<String> SERVICES = List.of("svc-a", "svc-b", "svc-c");
  static final int MAX_BYTES = 64 * 1024;

  private CrashPayloads() {}

  /** The bytes of {@code version} of {@code service}: 0..64 KiB, pseudo-random. */
  static byte[] bytes(long seed, String service, long version) {
    long mixed = seed;
    for (byte b : service.getBytes(StandardCharsets.UTF_8)) {
      mixed = mixed * 31 + b;
    }
    SplittableRandom random = new SplittableRandom(mixed ^ (version * 0x9E3779B97F4A7C15L));
    byte[] out = new byte[random.nextInt(MAX_BYTES + 1)];
    int i = 0;
    for (; i + 8 <= out.length; i += 8) {
      long v = random.nextLong();
      for (int k = 0; k < 8; k++) {
        out[i + k] = (byte) (v >>> (8 * k));
      }
    }
    for (; i < out.length; i++) {
      out[i] = (byte) random.nextInt(256);
    }
    return out;
  }

  static String sha256(byte[] data) {
    return sha256(ByteBuffer.wrap(data));
  }

  static String sha256(ByteBuffer data) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(data.duplicate());
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
