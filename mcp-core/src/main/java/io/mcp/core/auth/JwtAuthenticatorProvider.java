package io.mcp.core.auth;

import io.mcp.core.spi.Authenticator;
import io.mcp.core.spi.AuthenticatorProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code jwt}: a {@link JwtAuthenticator}. Settings:
 *
 * <table>
 *   <caption>Settings of the jwt authenticator</caption>
 *   <tr><th>setting</th><th>meaning</th></tr>
 *   <tr><td>algorithm</td><td>required: {@code HS256} or {@code RS256}</td></tr>
 *   <tr><td>secret</td><td>HS256 only, required: the shared secret, UTF-8, at least 32 bytes</td></tr>
 *   <tr><td>public-key-file</td><td>RS256 only, required: PEM public key or certificate</td></tr>
 *   <tr><td>issuer</td><td>optional: the required {@code iss}</td></tr>
 *   <tr><td>audience</td><td>optional: the required {@code aud}</td></tr>
 *   <tr><td>clock-skew-seconds</td><td>optional, default 60</td></tr>
 *   <tr><td>require-subject-matches-node-id</td><td>optional {@code true|false}, default false</td></tr>
 * </table>
 *
 * <p>Thread-safe.
 */
public final class JwtAuthenticatorProvider implements AuthenticatorProvider {
  static final String NAME = "jwt";

  /** For {@link java.util.ServiceLoader}. */
  public JwtAuthenticatorProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Authenticator create(Map<String, String> settings) {
    Settings s = Settings.of(NAME, settings, Set.of("algorithm", "secret", "public-key-file", "issuer",
        "audience", "clock-skew-seconds", "require-subject-matches-node-id"));
    String algorithm = s.required("algorithm").trim().toUpperCase(Locale.ROOT);
    JwtAuthenticator.Builder builder;
    if (algorithm.equals("HS256")) {
      s.absent("public-key-file", "HS256");
      byte[] secret = s.required("secret").getBytes(StandardCharsets.UTF_8);
      if (secret.length < JwtAuthenticator.MIN_HS256_SECRET_BYTES) {
        throw s.invalid("secret", "is " + secret.length + " bytes; HS256 needs at least "
            + JwtAuthenticator.MIN_HS256_SECRET_BYTES);
      }
      builder = JwtAuthenticator.hs256(secret);
    } else if (algorithm.equals("RS256")) {
      s.absent("secret", "RS256");
      String file = s.required("public-key-file");
      try {
        builder = JwtAuthenticator.rs256(Path.of(file));
      } catch (IllegalArgumentException e) {
        throw s.invalid("public-key-file", "is unusable: " + e.getMessage());
      }
    } else {
      throw s.invalid("algorithm", "must be HS256 or RS256, not \"" + s.required("algorithm") + "\"");
    }
    return builder
        .issuer(s.optional("issuer"))
        .audience(s.optional("audience"))
        .clockSkew(Duration.ofSeconds(s.nonNegative("clock-skew-seconds", JwtAuthenticator.DEFAULT_CLOCK_SKEW.getSeconds())))
        .requireSubjectMatchesNodeId(s.flag("require-subject-matches-node-id", false))
        .build();
  }
}
