package io.mcp.config;

import io.mcp.core.Identity;
import io.mcp.core.auth.Authenticators;
import io.mcp.core.spi.AuthenticationException;
import io.mcp.core.spi.Authenticator;
import io.mcp.core.spi.AuthenticatorRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Authentication (section {@code auth}) for every listener: an {@link
 * io.mcp.core.spi.AuthenticatorProvider} by name. Secrets are {@link Secret}s, so {@link
 * #toString()} never prints them. Build with {@link #builder()}; immutable and thread-safe.
 *
 * <ul>
 *   <li>{@code static-token} (default): agents send {@code agentToken} (identity named after the
 *       node, role {@code agent}); operators send {@code adminToken} (identity {@code admin}, role
 *       {@code admin}, needed to apply or roll back over gRPC).
 *   <li>{@code jwt}: JSON Web Tokens as set in {@link Jwt}; roles come from the token.
 *   <li>{@code mtls}: the verified client certificate names the peer.
 *   <li>{@code allow-all}: everyone, anonymous, no roles (development only).
 *   <li>any other provider name: created with {@code options} as its settings.
 * </ul>
 *
 * @param type the authenticator provider name
 * @param agentToken the agents' shared token ({@code static-token})
 * @param adminToken the operators' token ({@code static-token}); {@code null}: no admin access
 * @param jwt the JWT settings ({@code jwt})
 * @param options settings of another provider; values are printed as {@code ***}
 */
public record AuthConfig(String type, Secret agentToken, Secret adminToken, Jwt jwt, Map<String, String> options) {
  /** The provider of the built-in shared tokens. */
  public static final String STATIC_TOKEN = "static-token";

  /** Copies the options. */
  public AuthConfig {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(jwt, "jwt");
    options = Map.copyOf(options);
  }

  /**
   * JWT settings, as the {@code jwt} provider takes them.
   *
   * @param algorithm {@code HS256} or {@code RS256}
   * @param secret the HS256 secret, at least 32 bytes
   * @param publicKeyFile the RS256 public key or certificate (PEM)
   * @param issuer the required {@code iss}, or {@code null}
   * @param audience the required {@code aud}, or {@code null}
   * @param clockSkew tolerance on {@code exp} and {@code nbf}
   */
  public record Jwt(String algorithm, Secret secret, Path publicKeyFile, String issuer, String audience,
      Duration clockSkew) {
    /** Checks the references. */
    public Jwt {
      Objects.requireNonNull(algorithm, "algorithm");
      Objects.requireNonNull(clockSkew, "clockSkew");
    }

    /** The defaults: HS256, no secret, 60 s skew. */
    public static Jwt defaults() {
      return new Jwt("HS256", null, null, null, null, Duration.ofSeconds(60));
    }

    Map<String, String> settings() {
      Map<String, String> s = new LinkedHashMap<>();
      s.put("algorithm", algorithm);
      if (secret != null) {
        s.put("secret", secret.reveal());
      }
      if (publicKeyFile != null) {
        s.put("public-key-file", publicKeyFile.toString());
      }
      if (issuer != null) {
        s.put("issuer", issuer);
      }
      if (audience != null) {
        s.put("audience", audience);
      }
      s.put("clock-skew-seconds", Long.toString(clockSkew.toSeconds()));
      return s;
    }
  }

  /**
   * The authenticator these settings describe.
   *
   * @throws IllegalArgumentException if the provider is unknown or refuses the settings
   */
  public Authenticator authenticator() {
    switch (type) {
      case STATIC_TOKEN -> {
        if (agentToken == null) {
          throw new IllegalArgumentException("auth.agent-token is required with auth.type static-token");
        }
        Authenticator agents = Authenticators.staticToken(agentToken.reveal());
        if (adminToken == null) {
          return agents;
        }
        Authenticator admins = Authenticators.staticToken(adminToken.reveal(),
            Identity.of("admin", Set.of("admin"), Set.of()));
        return new Authenticator() {
          @Override
          public Identity authenticate(io.mcp.core.spi.AuthenticationRequest request) {
            try {
              return admins.authenticate(request);
            } catch (AuthenticationException notAdmin) {
              return agents.authenticate(request);
            }
          }

          @Override
          public String name() {
            return STATIC_TOKEN;
          }
        };
      }
      case "jwt" -> {
        return AuthenticatorRegistry.getDefault().create("jwt", jwt.settings());
      }
      default -> {
        return AuthenticatorRegistry.getDefault().create(type, options);
      }
    }
  }

  /** Prints secrets and option values as {@code ***}. */
  @Override
  public String toString() {
    Map<String, String> redacted = new LinkedHashMap<>();
    options.keySet().stream().sorted().forEach(k -> redacted.put(k, "***"));
    return "AuthConfig[type=" + type + ", agentToken=" + agentToken + ", adminToken=" + adminToken + ", jwt=" + jwt
        + ", options=" + redacted + "]";
  }

  /** A builder with the defaults (static-token, no tokens yet). */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    Builder b = new Builder().type(type).agentToken(agentToken).adminToken(adminToken).jwt(jwt);
    b.options.putAll(options);
    return b;
  }

  /** Builds {@link AuthConfig}. Not thread-safe. */
  public static final class Builder {
    private String type = STATIC_TOKEN;
    private Secret agentToken;
    private Secret adminToken;
    private Jwt jwt = Jwt.defaults();
    private final Map<String, String> options = new LinkedHashMap<>();

    private Builder() {}

    /** Default static-token. */
    public Builder type(String v) { this.type = v; return this; }
    /** Default none. */
    public Builder agentToken(Secret v) { this.agentToken = v; return this; }
    /** Default none. */
    public Builder adminToken(Secret v) { this.adminToken = v; return this; }
    /** Default {@link Jwt#defaults()}. */
    public Builder jwt(Jwt v) { this.jwt = v; return this; }

    /** Adds a setting of another provider. */
    public Builder option(String key, String value) {
      options.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** The configuration; it is checked by {@link McpServerConfig#validate()}. */
    public AuthConfig build() {
      return new AuthConfig(type, agentToken, adminToken, jwt, options);
    }
  }
}
