package io.mcp.core.auth;

import io.mcp.core.Identity;
import io.mcp.core.spi.AuthenticationException;
import io.mcp.core.spi.AuthenticationRequest;
import io.mcp.core.spi.Authenticator;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Factories for the built-in {@link Authenticator}s: a shared static token, JWT bearer tokens
 * ({@link JwtAuthenticator} has the options), the mutual-TLS certificate identity ({@link
 * MtlsAuthenticator}), and allow-all. The same are available by name from {@link
 * io.mcp.core.spi.AuthenticatorRegistry#getDefault()}: {@code static-token}, {@code jwt}, {@code
 * mtls} and {@code allow-all}.
 *
 * <p>Every authenticator returned is thread-safe.
 */
public final class Authenticators {
  private static final Logger log = LoggerFactory.getLogger(Authenticators.class);

  private Authenticators() {}

  /**
   * Accepts a peer whose Hello carries {@code token}. Tokens are compared in constant time over
   * their SHA-256 digests (neither content nor length leaks through timing) and never logged.
   * Every accepted peer gets the identity {@code identity}.
   */
  public static Authenticator staticToken(String token, Identity identity) {
    return new StaticTokenAuthenticator(token, identity);
  }

  /** {@link #staticToken(String, Identity)} with the identity named after the node id, role {@code agent}. */
  public static Authenticator staticToken(String token) {
    return new StaticTokenAuthenticator(token, null);
  }

  /**
   * Accepts HS256 JSON Web Tokens signed with {@code secret} (at least 32 bytes), with the defaults
   * of {@link JwtAuthenticator}: {@code exp} required, 60 s clock skew, any issuer and audience.
   *
   * @throws IllegalArgumentException if the secret is shorter than 32 bytes
   */
  public static Authenticator jwtHs256(byte[] secret) {
    return JwtAuthenticator.hs256(secret).build();
  }

  /**
   * Accepts RS256 JSON Web Tokens signed by the private key of {@code publicKey} (RSA, at least 2048
   * bits), with the defaults of {@link JwtAuthenticator}.
   *
   * @throws IllegalArgumentException if the key is not a large enough RSA key
   */
  public static Authenticator jwtRs256(PublicKey publicKey) {
    return JwtAuthenticator.rs256(publicKey).build();
  }

  /**
   * Names the peer after its verified TLS client certificate: the subject's CN, or its first DNS
   * subject alternative name; no roles, any service. See {@link MtlsAuthenticator} for the server
   * TLS settings it relies on and for other mappings.
   */
  public static Authenticator mutualTls() {
    return MtlsAuthenticator.create();
  }

  /**
   * Accepts everyone as {@link Identity#anonymous()}. Only for development: the server logs a warning
   * when it starts with it.
   */
  public static Authenticator allowAll() {
    return new AllowAll();
  }

  static byte[] sha256(String value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("SHA-256 is required of every JVM", e);
    }
  }

  private static final Set<String> AGENT_ROLES = Set.of("agent");

  private static final class StaticTokenAuthenticator implements Authenticator {
    private final byte[] expectedDigest;
    private final Identity identity;

    StaticTokenAuthenticator(String token, Identity identity) {
      Objects.requireNonNull(token, "token");
      if (token.isEmpty()) {
        throw new IllegalArgumentException("static token must not be empty");
      }
      this.expectedDigest = sha256(token);
      this.identity = identity;
    }

    @Override
    public Identity authenticate(AuthenticationRequest request) {
      if (request.token().isEmpty()) {
        throw new AuthenticationException("missing token");
      }
      if (!MessageDigest.isEqual(expectedDigest, sha256(request.token()))) {
        throw new AuthenticationException("invalid token");
      }
      return identity != null ? identity : Identity.of(request.nodeId(), AGENT_ROLES, Set.of());
    }

    @Override
    public String name() {
      return "static-token";
    }

    @Override
    public String toString() {
      return "StaticTokenAuthenticator{token=***}";
    }
  }

  private static final class AllowAll implements Authenticator {
    @Override
    public Identity authenticate(AuthenticationRequest request) {
      log.debug("allow-all: accepting node {} without credentials", request.nodeId());
      return Identity.anonymous();
    }

    @Override
    public String name() {
      return "allow-all";
    }

    @Override
    public boolean allowsAll() {
      return true;
    }
  }
}
