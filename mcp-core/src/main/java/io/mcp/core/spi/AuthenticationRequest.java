package io.mcp.core.spi;

import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * What an {@link Authenticator} may look at: the credentials and claims of the client's Hello, the
 * TLS client certificate chain when the connection uses mutual TLS, and the peer's address.
 *
 * <p>{@link #toString()} never shows the token. Immutable and thread-safe.
 */
public final class AuthenticationRequest {
  private final String nodeId;
  private final String serviceName;
  private final String token;
  private final Map<String, String> metadata;
  private final List<X509Certificate> peerCertificates;
  private final SocketAddress remoteAddress;

  private AuthenticationRequest(
      String nodeId,
      String serviceName,
      String token,
      Map<String, String> metadata,
      List<X509Certificate> peerCertificates,
      SocketAddress remoteAddress) {
    this.nodeId = nodeId;
    this.serviceName = serviceName;
    this.token = token;
    this.metadata = metadata;
    this.peerCertificates = peerCertificates;
    this.remoteAddress = remoteAddress;
  }

  /** Creates a request; {@code peerCertificates} is empty without mutual TLS. */
  public static AuthenticationRequest of(
      String nodeId,
      String serviceName,
      String token,
      Map<String, String> metadata,
      List<X509Certificate> peerCertificates,
      SocketAddress remoteAddress) {
    return new AuthenticationRequest(
        Objects.requireNonNull(nodeId, "nodeId"),
        Objects.requireNonNull(serviceName, "serviceName"),
        Objects.requireNonNull(token, "token"),
        Map.copyOf(metadata),
        List.copyOf(peerCertificates),
        remoteAddress);
  }

  /**
   * The verified X.509 client certificate chain of a TLS session, for {@code peerCertificates}:
   * empty when {@code session} is {@code null} or the peer presented no certificate.
   */
  public static List<X509Certificate> certificates(SSLSession session) {
    if (session == null) {
      return List.of();
    }
    try {
      List<X509Certificate> chain = new ArrayList<>();
      for (Certificate certificate : session.getPeerCertificates()) {
        if (certificate instanceof X509Certificate) {
          chain.add((X509Certificate) certificate);
        }
      }
      return chain;
    } catch (SSLPeerUnverifiedException e) {
      return List.of();
    }
  }

  /** The node id the client claims. */
  public String nodeId() {
    return nodeId;
  }

  /** The service the client claims to serve. */
  public String serviceName() {
    return serviceName;
  }

  /** The token from the Hello; empty when none was sent. Never log it. */
  public String token() {
    return token;
  }

  /** The client's metadata. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** The verified TLS client certificate chain, leaf first; empty without mutual TLS. */
  public List<X509Certificate> peerCertificates() {
    return peerCertificates;
  }

  /** The peer's address, or {@code null} when the transport has none. */
  public SocketAddress remoteAddress() {
    return remoteAddress;
  }

  @Override
  public String toString() {
    return "AuthenticationRequest{node=" + nodeId + ", service=" + serviceName
        + ", token=" + (token.isEmpty() ? "none" : "***") + ", certificates=" + peerCertificates.size()
        + ", remote=" + remoteAddress + "}";
  }
}
