package io.mcp.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.codec.CloseCode;
import io.mcp.codec.McpException;
import io.mcp.core.Identity;
import io.mcp.core.spi.AuthenticationException;
import io.mcp.core.spi.AuthenticationRequest;
import io.netty.pkitesting.CertificateBuilder;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MtlsAuthenticatorTest {
  private static X509Certificate certificate(String subject, String... dnsNames) throws Exception {
    CertificateBuilder builder = new CertificateBuilder().ecp256().subject(subject).setIsCertificateAuthority(true);
    for (String dns : dnsNames) {
      builder.addSanDnsName(dns);
    }
    return builder.buildSelfSigned().getCertificate();
  }

  private static AuthenticationRequest request(X509Certificate... chain) {
    return AuthenticationRequest.of("node-1", "billing", "", Map.of(), List.of(chain), null);
  }

  @Test
  void commonName_isIdentityName() throws Exception {
    Identity identity = MtlsAuthenticator.create()
        .authenticate(request(certificate("CN=node-7, OU=agent, O=Example", "other.example")));

    assertThat(identity).isEqualTo(Identity.of("node-7"));
  }

  @Test
  void noCommonName_firstDnsSan() throws Exception {
    Identity identity = MtlsAuthenticator.create()
        .authenticate(request(certificate("O=Example, OU=agent", "node-8.example", "alt.example")));

    assertThat(identity.name()).isEqualTo("node-8.example");
  }

  @Test
  void neitherCnNorDns_rejected() throws Exception {
    assertThatThrownBy(() -> MtlsAuthenticator.create().authenticate(request(certificate("O=Example"))))
        .isInstanceOf(AuthenticationException.class)
        .hasMessage("client certificate has neither a CN nor a DNS subject alternative name");
  }

  @Test
  void noCertificate_required() {
    assertThatThrownBy(() -> MtlsAuthenticator.create().authenticate(request()))
        .isInstanceOf(AuthenticationException.class)
        .hasMessage("client certificate required")
        .extracting(e -> ((McpException) e).closeCode()).isEqualTo(CloseCode.UNAUTHENTICATED);
  }

  @Test
  void rolesFromOrganizationalUnits_ouValuesAreRoles() throws Exception {
    Identity identity = MtlsAuthenticator.rolesFromOrganizationalUnits()
        .authenticate(request(certificate("CN=node-9, OU=agent, OU=admin, O=Example")));

    assertThat(identity).isEqualTo(Identity.of("node-9", Set.of("agent", "admin"), Set.of()));
  }

  @Test
  void leafCertificateIsMapped_notTheIssuer() throws Exception {
    X509Certificate leaf = certificate("CN=leaf");
    X509Certificate issuer = certificate("CN=issuer");

    assertThat(MtlsAuthenticator.create().authenticate(request(leaf, issuer)).name()).isEqualTo("leaf");
  }

  @Test
  void customMapper_used() throws Exception {
    MtlsAuthenticator authenticator = MtlsAuthenticator.withMapper(c ->
        Identity.of(MtlsAuthenticator.principalName(c), Set.of("operator"), Set.of("billing")));

    assertThat(authenticator.authenticate(request(certificate("CN=ops-1"))))
        .isEqualTo(Identity.of("ops-1", Set.of("operator"), Set.of("billing")));
  }

  @Test
  void customMapperReturnsNull_rejected() throws Exception {
    assertThatThrownBy(() -> MtlsAuthenticator.withMapper(c -> null).authenticate(request(certificate("CN=x"))))
        .isInstanceOf(AuthenticationException.class)
        .hasMessage("client certificate not mapped to an identity");
  }

  @Test
  void escapedCommonName_unescaped() throws Exception {
    assertThat(MtlsAuthenticator.principalName(certificate("CN=Smith\\, John, O=Example")))
        .isEqualTo("Smith, John");
  }

  @Test
  void authenticatorsMutualTls_isDefaultMapping() throws Exception {
    assertThat(Authenticators.mutualTls().authenticate(request(certificate("CN=node-1"))).name()).isEqualTo("node-1");
    assertThat(Authenticators.mutualTls().name()).isEqualTo("mtls");
  }
}
