package io.mcp.core.auth;

import io.mcp.core.Identity;
import io.mcp.core.spi.AuthenticationException;
import io.mcp.core.spi.AuthenticationRequest;
import io.mcp.core.spi.Authenticator;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import javax.naming.InvalidNameException;
import javax.naming.NamingException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/**
 * Takes the peer's identity from its TLS client certificate (mutual TLS).
 *
 * <p>This authenticator does not verify certificates itself: it trusts the chain the TLS layer
 * verified, so the server must run TLS with {@link io.mcp.core.TlsOptions.ClientAuthMode#REQUIRE}
 * (or {@code OPTIONAL}) and {@link io.mcp.core.TlsOptions.Builder#trustedCertificates} set to the
 * CA that issues client certificates &mdash; with the JDK's default trust store, any public CA could
 * name a client. A peer without a certificate (plaintext, or TLS without one) is rejected with
 * {@code client certificate required}.
 *
 * <p>The default mapping, {@link #identityOf(X509Certificate)}: name = {@link
 * #principalName(X509Certificate)} (the subject's CN, or the first DNS subject alternative name when
 * the subject has no CN), no roles, any service. {@link #rolesFromOrganizationalUnits()} adds the
 * convention roles = the subject's OU values; {@link #withMapper(Function)} takes any mapping from
 * the leaf certificate.
 *
 * <p>Immutable and thread-safe if the mapper is.
 */
public final class MtlsAuthenticator implements Authenticator {
  private static final int DNS_NAME = 2;

  private final Function<? super X509Certificate, Identity> mapper;

  private MtlsAuthenticator(Function<? super X509Certificate, Identity> mapper) {
    this.mapper = mapper;
  }

  /** Identity = the certificate's principal name, no roles, any service. */
  public static MtlsAuthenticator create() {
    return new MtlsAuthenticator(MtlsAuthenticator::identityOf);
  }

  /**
   * Identity = the certificate's principal name, roles = the subject's OU values (for example
   * {@code OU=admin, OU=agent}), any service.
   */
  public static MtlsAuthenticator rolesFromOrganizationalUnits() {
    return new MtlsAuthenticator(
        c -> Identity.of(principalName(c), organizationalUnits(c), Set.of()));
  }

  /**
   * Identity = {@code mapper} applied to the verified leaf certificate. The mapper may throw {@link
   * AuthenticationException} to reject the peer; returning {@code null} rejects it too. It runs on a
   * network thread and must not block.
   */
  public static MtlsAuthenticator withMapper(Function<? super X509Certificate, Identity> mapper) {
    return new MtlsAuthenticator(Objects.requireNonNull(mapper, "mapper"));
  }

  /**
   * The default mapping: name = {@link #principalName(X509Certificate)}, no roles, any service.
   *
   * @throws AuthenticationException if the certificate has neither a CN nor a DNS name
   */
  public static Identity identityOf(X509Certificate certificate) {
    return Identity.of(principalName(certificate));
  }

  /**
   * The subject's common name (the most specific CN if there are several), or else the first DNS
   * subject alternative name.
   *
   * @throws AuthenticationException if the certificate has neither
   */
  public static String principalName(X509Certificate certificate) {
    List<String> commonNames = subjectAttribute(certificate.getSubjectX500Principal(), "CN");
    if (!commonNames.isEmpty()) {
      return commonNames.get(0);
    }
    try {
      Collection<List<?>> names = certificate.getSubjectAlternativeNames();
      if (names != null) {
        for (List<?> name : names) {
          if (name.size() >= 2 && Integer.valueOf(DNS_NAME).equals(name.get(0)) && name.get(1) instanceof String) {
            return (String) name.get(1);
          }
        }
      }
    } catch (CertificateParsingException e) {
      throw new AuthenticationException("client certificate has unreadable subject alternative names");
    }
    throw new AuthenticationException("client certificate has neither a CN nor a DNS subject alternative name");
  }

  /** The subject's OU values, most specific first; empty if it has none. */
  public static Set<String> organizationalUnits(X509Certificate certificate) {
    return new LinkedHashSet<>(subjectAttribute(certificate.getSubjectX500Principal(), "OU"));
  }

  /** Values of one attribute type in a distinguished name, most specific (last in RFC 2253) first. */
  private static List<String> subjectAttribute(X500Principal subject, String type) {
    LdapName name;
    try {
      name = new LdapName(subject.getName(X500Principal.RFC2253));
    } catch (InvalidNameException e) {
      throw new AuthenticationException("client certificate has an unreadable subject");
    }
    // LdapName lists RDNs from least to most specific: iterate backwards.
    List<Rdn> rdns = name.getRdns();
    List<String> values = new ArrayList<>();
    for (int i = rdns.size() - 1; i >= 0; i--) {
      Rdn rdn = rdns.get(i);
      for (var attributes = rdn.toAttributes().getAll(); attributes.hasMoreElements(); ) {
        var attribute = attributes.nextElement();
        if (attribute.getID().equalsIgnoreCase(type)) {
          try {
            for (var v = attribute.getAll(); v.hasMoreElements(); ) {
              values.add(String.valueOf(v.nextElement()));
            }
          } catch (NamingException e) {
            throw new AuthenticationException("client certificate has an unreadable subject");
          }
        }
      }
    }
    return values;
  }

  @Override
  public Identity authenticate(AuthenticationRequest request) {
    List<X509Certificate> chain = request.peerCertificates();
    if (chain.isEmpty()) {
      throw new AuthenticationException("client certificate required");
    }
    Identity identity = mapper.apply(chain.get(0));
    if (identity == null) {
      throw new AuthenticationException("client certificate not mapped to an identity");
    }
    return identity;
  }

  @Override
  public String name() {
    return "mtls";
  }

  @Override
  public String toString() {
    return "MtlsAuthenticator";
  }
}
