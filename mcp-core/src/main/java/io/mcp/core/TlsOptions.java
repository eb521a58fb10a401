package io.mcp.core;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * TLS settings from PEM files: a certificate chain and its private key, the certificates to trust
 * (the peer's CA), and whether the server requires client certificates (mutual TLS). Protocols are
 * TLSv1.3 and TLSv1.2 only; {@link Builder#protocols(String...)} can narrow them to one.
 *
 * <p>Immutable and thread-safe. Build with {@link #builder()}.
 */
public final class TlsOptions {
  /** Whether a server asks for client certificates. */
  public enum ClientAuthMode {
    /** No client certificate is requested. */
    NONE,
    /** A client certificate is requested and verified if sent. */
    OPTIONAL,
    /** A valid client certificate is required (mutual TLS). */
    REQUIRE
  }

  static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  private final Path certificateChain;
  private final Path privateKey;
  private final Path trustedCertificates;
  private final ClientAuthMode clientAuth;
  private final boolean verifyHostname;
  private final List<String> protocols;

  private TlsOptions(Builder b) {
    this.certificateChain = b.certificateChain;
    this.privateKey = b.privateKey;
    this.trustedCertificates = b.trustedCertificates;
    this.clientAuth = b.clientAuth;
    this.verifyHostname = b.verifyHostname;
    this.protocols = b.protocols;
  }

  /** A builder with no files, no client authentication, hostname verification on. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these options. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.certificateChain = certificateChain;
    b.privateKey = privateKey;
    b.trustedCertificates = trustedCertificates;
    b.clientAuth = clientAuth;
    b.verifyHostname = verifyHostname;
    b.protocols = protocols;
    return b;
  }

  /** PEM certificate chain presented to the peer, or {@code null}. */
  public Path certificateChain() {
    return certificateChain;
  }

  /** PEM (PKCS#8) private key of the chain, or {@code null}. */
  public Path privateKey() {
    return privateKey;
  }

  /** PEM certificates to trust for the peer's chain, or {@code null} for the JDK's defaults. */
  public Path trustedCertificates() {
    return trustedCertificates;
  }

  /** Whether a server requires client certificates. */
  public ClientAuthMode clientAuth() {
    return clientAuth;
  }

  /** Whether a client checks that the server certificate names the host it connected to. */
  public boolean verifyHostname() {
    return verifyHostname;
  }

  /** The TLS protocols enabled, a subset of TLSv1.3 and TLSv1.2; default both. */
  public List<String> protocols() {
    return protocols;
  }

  /**
   * Builds a server-side Netty context.
   *
   * @throws IllegalArgumentException if the chain or key is missing or unreadable, naming the file
   */
  public SslContext newServerContext() {
    return build(newServerContextBuilder(), "server");
  }

  /**
   * The builder behind {@link #newServerContext()}, for a transport that adds its own settings
   * before building (gRPC adds ALPN for HTTP/2): JDK provider, these files, protocols and client
   * authentication.
   *
   * @throws IllegalArgumentException if the chain or key is missing or unreadable, naming the file
   */
  public SslContextBuilder newServerContextBuilder() {
    if (certificateChain == null || privateKey == null) {
      throw new IllegalArgumentException("a TLS server needs certificateChain and privateKey");
    }
    try {
      SslContextBuilder builder =
          SslContextBuilder.forServer(readable(certificateChain, "certificateChain"),
                  readable(privateKey, "privateKey"))
              .sslProvider(SslProvider.JDK)
              .protocols(protocols);
      if (trustedCertificates != null) {
        builder.trustManager(readable(trustedCertificates, "trustedCertificates"));
      }
      switch (clientAuth) {
        case REQUIRE:
          builder.clientAuth(ClientAuth.REQUIRE);
          break;
        case OPTIONAL:
          builder.clientAuth(ClientAuth.OPTIONAL);
          break;
        default:
          builder.clientAuth(ClientAuth.NONE);
      }
      return builder;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot build TLS server context: " + e.getMessage(), e);
    }
  }

  /**
   * Builds a client-side Netty context.
   *
   * @throws IllegalArgumentException if a configured file is missing or unreadable, naming it
   */
  public SslContext newClientContext() {
    return build(newClientContextBuilder(), "client");
  }

  /**
   * The builder behind {@link #newClientContext()}, for a transport that adds its own settings
   * before building: JDK provider, these files and protocols, and hostname verification
   * ({@code HTTPS} endpoint identification, or none).
   *
   * @throws IllegalArgumentException if a configured file is missing or unreadable, naming it
   */
  public SslContextBuilder newClientContextBuilder() {
    try {
      SslContextBuilder builder =
          SslContextBuilder.forClient().sslProvider(SslProvider.JDK).protocols(protocols);
      if (trustedCertificates != null) {
        builder.trustManager(readable(trustedCertificates, "trustedCertificates"));
      }
      if (certificateChain != null || privateKey != null) {
        if (certificateChain == null || privateKey == null) {
          throw new IllegalArgumentException("a client certificate needs both certificateChain and privateKey");
        }
        builder.keyManager(readable(certificateChain, "certificateChain"), readable(privateKey, "privateKey"));
      }
      if (verifyHostname) {
        builder.endpointIdentificationAlgorithm("HTTPS");
      } else {
        builder.endpointIdentificationAlgorithm(null);
      }
      return builder;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot build TLS client context: " + e.getMessage(), e);
    }
  }

  private static SslContext build(SslContextBuilder builder, String side) {
    try {
      return builder.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot build TLS " + side + " context: " + e.getMessage(), e);
    }
  }

  private static File readable(Path path, String what) {
    if (!Files.isReadable(path)) {
      throw new IllegalArgumentException(what + " file " + path + " is missing or unreadable");
    }
    return path.toFile();
  }

  @Override
  public String toString() {
    return "TlsOptions{chain=" + certificateChain + ", trusted=" + trustedCertificates
        + ", clientAuth=" + clientAuth + ", verifyHostname=" + verifyHostname + ", protocols=" + protocols + "}";
  }

  /** Builds {@link TlsOptions}. Not thread-safe. */
  public static final class Builder {
    private Path certificateChain;
    private Path privateKey;
    private Path trustedCertificates;
    private ClientAuthMode clientAuth = ClientAuthMode.NONE;
    private boolean verifyHostname = true;
    private List<String> protocols = PROTOCOLS;

    private Builder() {}

    /** The PEM certificate chain and PEM (PKCS#8) private key this side presents. */
    public Builder keyPair(Path certificateChain, Path privateKey) {
      this.certificateChain = Objects.requireNonNull(certificateChain, "certificateChain");
      this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
      return this;
    }

    /** PEM certificates to trust for the peer's chain (its CA). */
    public Builder trustedCertificates(Path trustedCertificates) {
      this.trustedCertificates = Objects.requireNonNull(trustedCertificates, "trustedCertificates");
      return this;
    }

    /** Whether a server asks for client certificates; default NONE. */
    public Builder clientAuth(ClientAuthMode clientAuth) {
      this.clientAuth = Objects.requireNonNull(clientAuth, "clientAuth");
      return this;
    }

    /** Whether a client verifies the server's hostname; default true. */
    public Builder verifyHostname(boolean verifyHostname) {
      this.verifyHostname = verifyHostname;
      return this;
    }

    /**
     * The TLS protocols to enable, for example {@code "TLSv1.3"} alone; default TLSv1.3 and TLSv1.2.
     *
     * @throws IllegalArgumentException if empty or naming a protocol other than these two
     */
    public Builder protocols(String... protocols) {
      List<String> list = List.of(protocols);
      if (list.isEmpty()) {
        throw new IllegalArgumentException("protocols must not be empty");
      }
      for (String protocol : list) {
        if (!PROTOCOLS.contains(protocol)) {
          throw new IllegalArgumentException("protocol " + protocol + " not supported (supported: " + PROTOCOLS + ")");
        }
      }
      this.protocols = list;
      return this;
    }

    /** Builds the options. */
    public TlsOptions build() {
      return new TlsOptions(this);
    }
  }
}
