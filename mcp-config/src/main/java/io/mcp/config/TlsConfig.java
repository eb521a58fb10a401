package io.mcp.config;

import io.mcp.core.TlsOptions;
import java.nio.file.Path;
import java.util.Objects;

/**
 * TLS for every listener (section {@code tls}): on when a certificate chain is set. PEM files.
 * Build with {@link #builder()}; immutable and thread-safe.
 *
 * @param certChain the server's certificate chain, or {@code null} for plaintext
 * @param privateKey the server's PKCS#8 private key (required with {@code certChain})
 * @param trustedCertificates CA certificates that client certificates must chain to, or {@code null}
 * @param clientAuth whether clients must present a certificate
 */
public record TlsConfig(Path certChain, Path privateKey, Path trustedCertificates,
    TlsOptions.ClientAuthMode clientAuth) {

  /** Checks the references; the rest is checked by {@link McpServerConfig#validate()}. */
  public TlsConfig {
    Objects.requireNonNull(clientAuth, "clientAuth");
  }

  /** Plaintext: no TLS. */
  public static TlsConfig disabled() {
    return new TlsConfig(null, null, null, TlsOptions.ClientAuthMode.NONE);
  }

  /** Whether TLS is on (a certificate chain is set). */
  public boolean enabled() {
    return certChain != null;
  }

  /** The server TLS options, or {@code null} when TLS is off. */
  public TlsOptions toTlsOptions() {
    if (!enabled()) {
      return null;
    }
    TlsOptions.Builder b = TlsOptions.builder().keyPair(certChain, privateKey).clientAuth(clientAuth);
    if (trustedCertificates != null) {
      b.trustedCertificates(trustedCertificates);
    }
    return b.build();
  }

  /** A builder with the defaults (TLS off). */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder().certChain(certChain).privateKey(privateKey).trustedCertificates(trustedCertificates)
        .clientAuth(clientAuth);
  }

  /** Builds {@link TlsConfig}. Not thread-safe. */
  public static final class Builder {
    private Path certChain;
    private Path privateKey;
    private Path trustedCertificates;
    private TlsOptions.ClientAuthMode clientAuth = TlsOptions.ClientAuthMode.NONE;

    private Builder() {}

    /** Default none (plaintext). */
    public Builder certChain(Path v) { this.certChain = v; return this; }
    /** Default none. */
    public Builder privateKey(Path v) { this.privateKey = v; return this; }
    /** Default none. */
    public Builder trustedCertificates(Path v) { this.trustedCertificates = v; return this; }
    /** Default NONE. */
    public Builder clientAuth(TlsOptions.ClientAuthMode v) { this.clientAuth = v; return this; }

    /** The configuration; it is checked by {@link McpServerConfig#validate()}. */
    public TlsConfig build() {
      return new TlsConfig(certChain, privateKey, trustedCertificates, clientAuth);
    }
  }
}
