package io.mcp.core;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.CertificateBuilder.KeyUsage;
import io.netty.pkitesting.X509Bundle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * A small PKI for TLS tests, written as PEM files into a directory (a {@code @TempDir}): a CA that
 * the tests trust, another CA that nobody trusts, and leaf certificates issued by either. Keys are
 * EC P-256, which are fast to generate. Server certificates name {@code localhost} and
 * {@code 127.0.0.1}, so hostname verification passes on loopback.
 */
public final class TestCertificates {
  /** A certificate chain and its PKCS#8 private key, as PEM files. */
  public record KeyPairFiles(Path chain, Path key, X509Bundle bundle) {}

  private final Path dir;
  private final X509Bundle ca;
  private final X509Bundle otherCa;
  private final Path caFile;
  private final Path otherCaFile;

  private TestCertificates(Path dir) throws Exception {
    this.dir = dir;
    Instant now = Instant.now();
    this.ca = caBuilder(now).subject("CN=MCP Test CA, O=MCP Tests").buildSelfSigned();
    this.otherCa = caBuilder(now).subject("CN=Untrusted CA, O=Elsewhere").buildSelfSigned();
    this.caFile = write("ca.pem", ca.getCertificatePEM());
    this.otherCaFile = write("other-ca.pem", otherCa.getCertificatePEM());
  }

  /** Creates the two CAs and writes them into {@code dir}. */
  public static TestCertificates create(Path dir) {
    try {
      return new TestCertificates(dir);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create test certificates", e);
    }
  }

  private static CertificateBuilder caBuilder(Instant now) {
    return new CertificateBuilder()
        .ecp256()
        .notBefore(now.minus(Duration.ofDays(1)))
        .notAfter(now.plus(Duration.ofDays(30)))
        .setIsCertificateAuthority(true)
        .setKeyUsage(true, KeyUsage.keyCertSign, KeyUsage.cRLSign);
  }

  /** The trusted CA certificate (PEM). */
  public Path caFile() {
    return caFile;
  }

  /** A CA certificate that issued nothing the tests use as trusted (PEM). */
  public Path otherCaFile() {
    return otherCaFile;
  }

  /** A server certificate for localhost / 127.0.0.1 issued by the trusted CA, valid now. */
  public KeyPairFiles server() {
    return serverIssuedBy(ca, "server", Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(7)));
  }

  /** A server certificate issued by the untrusted CA. */
  public KeyPairFiles serverFromOtherCa() {
    return serverIssuedBy(otherCa, "server-other-ca", Instant.now().minus(Duration.ofDays(1)),
        Instant.now().plus(Duration.ofDays(7)));
  }

  /** A server certificate issued by the trusted CA that expired yesterday. */
  public KeyPairFiles expiredServer() {
    return serverIssuedBy(ca, "server-expired", Instant.now().minus(Duration.ofDays(10)),
        Instant.now().minus(Duration.ofDays(1)));
  }

  /** A client certificate issued by the trusted CA with subject {@code subject}, e.g. {@code CN=node-1, OU=agent}. */
  public KeyPairFiles client(String name, String subject) {
    return client(ca, name, subject);
  }

  /** A client certificate issued by the untrusted CA. */
  public KeyPairFiles clientFromOtherCa(String name, String subject) {
    return client(otherCa, name, subject);
  }

  /** A client certificate for {@code CN=node-1, OU=agent} issued by the trusted CA that expired yesterday. */
  public KeyPairFiles expiredClient() {
    return client(ca, "client-expired", "CN=node-1, OU=agent", Instant.now().minus(Duration.ofDays(10)),
        Instant.now().minus(Duration.ofDays(1)));
  }

  private KeyPairFiles serverIssuedBy(X509Bundle issuer, String name, Instant notBefore, Instant notAfter) {
    return issue(issuer, name, new CertificateBuilder()
        .ecp256()
        .subject("CN=localhost")
        .addSanDnsName("localhost")
        .addSanIpAddress("127.0.0.1")
        .notBefore(notBefore)
        .notAfter(notAfter)
        .setKeyUsage(true, KeyUsage.digitalSignature)
        .addExtendedKeyUsageServerAuth());
  }

  private KeyPairFiles client(X509Bundle issuer, String name, String subject) {
    return client(issuer, name, subject, Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(7)));
  }

  private KeyPairFiles client(X509Bundle issuer, String name, String subject, Instant notBefore, Instant notAfter) {
    return issue(issuer, name, new CertificateBuilder()
        .ecp256()
        .subject(subject)
        .notBefore(notBefore)
        .notAfter(notAfter)
        .setKeyUsage(true, KeyUsage.digitalSignature)
        .addExtendedKeyUsageClientAuth());
  }

  private KeyPairFiles issue(X509Bundle issuer, String name, CertificateBuilder builder) {
    try {
      X509Bundle bundle = builder.buildIssuedBy(issuer);
      return new KeyPairFiles(write(name + ".pem", bundle.getCertificatePathPEM()),
          write(name + "-key.pem", bundle.getPrivateKeyPEM()), bundle);
    } catch (Exception e) {
      throw new IllegalStateException("cannot issue test certificate " + name, e);
    }
  }

  private Path write(String name, String pem) {
    try {
      return Files.writeString(dir.resolve(name), pem, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Server TLS with {@code files}, trusting the test CA for client certificates. */
  public TlsOptions serverTls(KeyPairFiles files, TlsOptions.ClientAuthMode clientAuth) {
    return TlsOptions.builder()
        .keyPair(files.chain(), files.key())
        .trustedCertificates(caFile)
        .clientAuth(clientAuth)
        .build();
  }

  /** Client TLS trusting the test CA, without a client certificate, verifying the hostname. */
  public TlsOptions clientTls() {
    return TlsOptions.builder().trustedCertificates(caFile).build();
  }

  /**
   * Client TLS that trusts {@code server}'s own certificate chain (pinning) instead of the test CA.
   * The JDK does not check the validity period of a trust anchor, so this accepts an expired server
   * certificate: the way to reach a server whose certificate the CA-trusting clients reject.
   */
  public TlsOptions clientTlsPinning(KeyPairFiles server) {
    return TlsOptions.builder().trustedCertificates(server.chain()).build();
  }

  /** Client TLS trusting the test CA and presenting {@code files}. */
  public TlsOptions clientTls(KeyPairFiles files) {
    return TlsOptions.builder().trustedCertificates(caFile).keyPair(files.chain(), files.key()).build();
  }
}
