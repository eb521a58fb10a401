package io.mcp.examples.embed;

import io.mcp.core.Identity;
import io.mcp.core.spi.AuthenticationException;
import io.mcp.core.spi.AuthenticationRequest;
import io.mcp.core.spi.Authenticator;
import io.mcp.core.spi.AuthenticatorProvider;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * An authenticator plugin, {@code api-keys}: one key per client. Settings: {@code key.<name>} = the
 * key of client {@code name}; {@code admins} = comma-separated names that get the {@code admin}
 * role (the others get {@code agent}). Keys are compared in constant time over their SHA-256
 * digests and never appear in messages.
 *
 * <p>Registered in {@code META-INF/services/io.mcp.core.spi.AuthenticatorProvider}, so
 * {@code auth.type: api-keys} with {@code auth.options.key.ops: ...} selects it from a configuration
 * file. Thread-safe.
 */
public final class ApiKeyAuthenticatorProvider implements AuthenticatorProvider {
  /** For {@link java.util.ServiceLoader}. */
  public ApiKeyAuthenticatorProvider() {}

  @Override
  public String name() {
    return "api-keys";
  }

  @Override
  public Authenticator create(Map<String, String> settings) {
    Map<String, byte[]> digests = new LinkedHashMap<>();
    Set<String> admins = new HashSet<>();
    for (Map.Entry<String, String> setting : settings.entrySet()) {
      if (setting.getKey().startsWith("key.") && setting.getKey().length() > 4) {
        if (setting.getValue().length() < 16) {
          throw new IllegalArgumentException("setting " + setting.getKey() + " must be at least 16 characters");
        }
        digests.put(setting.getKey().substring(4), sha256(setting.getValue()));
      } else if (setting.getKey().equals("admins")) {
        for (String name : setting.getValue().split(",")) {
          admins.add(name.strip());
        }
      } else {
        throw new IllegalArgumentException("unknown setting " + setting.getKey() + " for authenticator api-keys"
            + " (known: key.<name>, admins)");
      }
    }
    if (digests.isEmpty()) {
      throw new IllegalArgumentException("authenticator api-keys needs at least one key.<name> setting");
    }
    return new Authenticator() {
      @Override
      public Identity authenticate(AuthenticationRequest request) {
        byte[] presented = sha256(request.token());
        String match = null;
        for (Map.Entry<String, byte[]> key : digests.entrySet()) {
          if (MessageDigest.isEqual(presented, key.getValue())) { // checks every key: no early exit
            match = key.getKey();
          }
        }
        if (match == null) {
          throw new AuthenticationException("unknown API key");
        }
        return Identity.of(match, Set.of(admins.contains(match) ? "admin" : "agent"), Set.of());
      }

      @Override
      public String name() {
        return "api-keys";
      }
    };
  }

  private static byte[] sha256(String value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  }
}
