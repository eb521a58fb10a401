package io.mcp.core;

import java.util.Objects;
import java.util.Set;

/**
 * Who the peer of a session is, as established by an {@link io.mcp.core.spi.Authenticator}: a name,
 * its roles (for example {@code admin}, {@code agent}) and the services it may act for (empty
 * means any).
 *
 * <p>Immutable and thread-safe.
 */
public final class Identity {
  private static final Identity ANONYMOUS = new Identity("anonymous", Set.of(), Set.of());

  private final String name;
  private final Set<String> roles;
  private final Set<String> services;

  private Identity(String name, Set<String> roles, Set<String> services) {
    this.name = name;
    this.roles = roles;
    this.services = services;
  }

  /** An identity with roles and allowed services (empty = any service). */
  public static Identity of(String name, Set<String> roles, Set<String> services) {
    return new Identity(
        Objects.requireNonNull(name, "name"), Set.copyOf(roles), Set.copyOf(services));
  }

  /** An identity with a name only: no roles, any service. */
  public static Identity of(String name) {
    return of(name, Set.of(), Set.of());
  }

  /** The identity given to peers under an allow-all authenticator. */
  public static Identity anonymous() {
    return ANONYMOUS;
  }

  /** The name, for example a token's subject or a certificate's common name. */
  public String name() {
    return name;
  }

  /** The roles. */
  public Set<String> roles() {
    return roles;
  }

  /** Whether this identity has {@code role}. */
  public boolean hasRole(String role) {
    return roles.contains(role);
  }

  /** The services this identity may act for; empty means any service. */
  public Set<String> services() {
    return services;
  }

  /** Whether this identity may act for {@code service}. */
  public boolean allowsService(String service) {
    return services.isEmpty() || services.contains(service);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Identity)) {
      return false;
    }
    Identity that = (Identity) o;
    return name.equals(that.name) && roles.equals(that.roles) && services.equals(that.services);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, roles, services);
  }

  @Override
  public String toString() {
    return "Identity{" + name + ", roles=" + roles + ", services=" + services + "}";
  }
}
