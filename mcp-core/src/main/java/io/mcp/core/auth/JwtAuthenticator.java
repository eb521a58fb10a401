package io.mcp.core.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.mcp.core.Identity;
import io.mcp.core.spi.AuthenticationException;
import io.mcp.core.spi.AuthenticationRequest;
import io.mcp.core.spi.Authenticator;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Accepts a peer whose Hello carries a signed JSON Web Token (RFC 7519) in {@code Hello.token},
 * verified locally with <a href="https://connect2id.com/products/nimbus-jose-jwt">Nimbus
 * JOSE+JWT</a>.
 *
 * <p>One algorithm is pinned per authenticator: {@code HS256} with a shared secret of at least 32
 * bytes, or {@code RS256} with an RSA public key of at least 2048 bits. A token whose header names
 * any other algorithm is rejected before its signature is looked at; this covers {@code alg: none}
 * and algorithm confusion (an HS256 token "signed" with the RSA public key as the HMAC secret is
 * refused by an RS256 authenticator). Encrypted tokens (JWE) are not supported.
 *
 * <p>Checks, in order: signature; {@code exp} present and not passed; {@code nbf} (if present)
 * reached; {@code iss} equal to the required issuer (if one is set); {@code aud} containing the
 * required audience (if one is set); {@code sub} present, and equal to {@code Hello.node_id} if
 * {@link Builder#requireSubjectMatchesNodeId(boolean)} is on. Time checks allow a clock skew,
 * default 60 s, and read an injectable {@link Clock}.
 *
 * <p>The identity is: name = {@code sub}; roles = the {@code roles} claim (an array of strings,
 * absent = none); services = the {@code services} claim (an array of strings, absent or empty =
 * any service).
 *
 * <p>A rejection throws {@link AuthenticationException} with a reason such as {@code token expired
 * at 2026-01-01T00:00:00Z}, {@code bad signature} or {@code issuer "x" not accepted}; the reason
 * never contains the token, and claim values quoted in it are shortened to 64 characters.
 *
 * <pre>{@code
 * Authenticator auth = JwtAuthenticator.rs256(Path.of("issuer-public.pem"))
 *     .issuer("https://auth.example.com")
 *     .audience("mcp")
 *     .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe; verification does no I/O.
 */
public final class JwtAuthenticator implements Authenticator {
  /** Shortest HS256 secret accepted: 256 bits, as RFC 7518 §3.2 requires. */
  public static final int MIN_HS256_SECRET_BYTES = 32;
  /** Smallest RS256 key accepted, in bits. */
  public static final int MIN_RSA_KEY_BITS = 2048;
  /** Default tolerance for {@code exp} and {@code nbf}. */
  public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(60);

  private static final int MAX_QUOTED_CHARS = 64;
  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

  private final JWSAlgorithm algorithm;
  private final JWSVerifier verifier;
  private final String issuer;
  private final String audience;
  private final Duration clockSkew;
  private final Clock clock;
  private final boolean requireSubjectMatchesNodeId;

  private JwtAuthenticator(Builder b) {
    this.algorithm = b.algorithm;
    this.verifier = b.verifier;
    this.issuer = b.issuer;
    this.audience = b.audience;
    this.clockSkew = b.clockSkew;
    this.clock = b.clock;
    this.requireSubjectMatchesNodeId = b.requireSubjectMatchesNodeId;
  }

  /**
   * A builder for HS256 tokens signed with {@code secret}, which is copied.
   *
   * @throws IllegalArgumentException if the secret is shorter than {@value #MIN_HS256_SECRET_BYTES}
   *     bytes
   */
  public static Builder hs256(byte[] secret) {
    Objects.requireNonNull(secret, "secret");
    if (secret.length < MIN_HS256_SECRET_BYTES) {
      throw new IllegalArgumentException("HS256 secret of " + secret.length + " bytes is shorter than "
          + MIN_HS256_SECRET_BYTES + " bytes");
    }
    byte[] copy = Arrays.copyOf(secret, secret.length);
    try {
      return new Builder(JWSAlgorithm.HS256, new MACVerifier(copy));
    } catch (JOSEException e) {
      throw new IllegalArgumentException("unusable HS256 secret: " + e.getMessage(), e);
    }
  }

  /**
   * A builder for RS256 tokens verified with {@code publicKey}.
   *
   * @throws IllegalArgumentException if the key is not an RSA key of at least {@value
   *     #MIN_RSA_KEY_BITS} bits
   */
  public static Builder rs256(PublicKey publicKey) {
    Objects.requireNonNull(publicKey, "publicKey");
    if (!(publicKey instanceof RSAPublicKey)) {
      throw new IllegalArgumentException("RS256 needs an RSA public key, not " + publicKey.getAlgorithm());
    }
    RSAPublicKey rsa = (RSAPublicKey) publicKey;
    int bits = rsa.getModulus().bitLength();
    if (bits < MIN_RSA_KEY_BITS) {
      throw new IllegalArgumentException("RSA key of " + bits + " bits is smaller than " + MIN_RSA_KEY_BITS);
    }
    return new Builder(JWSAlgorithm.RS256, new RSASSAVerifier(rsa));
  }

  /**
   * A builder for RS256 tokens verified with the RSA public key in {@code pemFile}: a {@code BEGIN
   * PUBLIC KEY} block (X.509 SubjectPublicKeyInfo, what {@code openssl rsa -pubout} writes) or a
   * {@code BEGIN CERTIFICATE} block, whose key is used.
   *
   * @throws IllegalArgumentException if the file cannot be read or holds no usable RSA key, naming
   *     the file
   */
  public static Builder rs256(Path pemFile) {
    return rs256(readPublicKey(pemFile));
  }

  /** Reads an RSA public key from a PEM file; see {@link #rs256(Path)}. */
  static PublicKey readPublicKey(Path pemFile) {
    Objects.requireNonNull(pemFile, "pemFile");
    String pem;
    try {
      pem = Files.readString(pemFile, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read public key file " + pemFile + ": " + e.getMessage(), e);
    }
    Matcher m = PEM.matcher(pem);
    while (m.find()) {
      String type = m.group(1);
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(m.group(2));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("public key file " + pemFile + ": bad base64 in " + type, e);
      }
      try {
        if (type.equals("PUBLIC KEY")) {
          return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
        }
        if (type.equals("CERTIFICATE")) {
          return CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(der)).getPublicKey();
        }
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException(
            "public key file " + pemFile + ": not an RSA " + type.toLowerCase(Locale.ROOT)
                + ": " + e.getMessage(), e);
      }
    }
    throw new IllegalArgumentException("public key file " + pemFile
        + " holds no PEM \"PUBLIC KEY\" or \"CERTIFICATE\" block (PKCS#1 \"RSA PUBLIC KEY\" is not supported)");
  }

  @Override
  public Identity authenticate(AuthenticationRequest request) {
    String token = request.token();
    if (token.isEmpty()) {
      throw new AuthenticationException("missing token");
    }
    SignedJWT jwt = parse(token);
    JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
    if (!algorithm.equals(alg)) {
      throw new AuthenticationException(
          "token algorithm " + quote(alg.getName()) + " not accepted (expected " + algorithm + ")");
    }
    boolean valid;
    try {
      valid = jwt.verify(verifier);
    } catch (JOSEException e) {
      throw new AuthenticationException("signature verification failed", e);
    }
    if (!valid) {
      throw new AuthenticationException("bad signature");
    }
    JWTClaimsSet claims;
    try {
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new AuthenticationException("malformed token claims");
    }
    checkTime(claims);
    checkIssuerAndAudience(claims);
    String subject = claims.getSubject();
    if (subject == null || subject.isEmpty()) {
      throw new AuthenticationException("token has no sub claim");
    }
    if (requireSubjectMatchesNodeId && !subject.equals(request.nodeId())) {
      throw new AuthenticationException("token subject " + quote(subject) + " does not match node id "
          + quote(request.nodeId()));
    }
    return Identity.of(subject, stringSet(claims, "roles"), stringSet(claims, "services"));
  }

  private static SignedJWT parse(String token) {
    JWT jwt;
    try {
      jwt = JWTParser.parse(token);
    } catch (ParseException e) {
      // The parser's message may quote decoded parts of the token: not passed on.
      throw new AuthenticationException("malformed token (not a compact JWS)");
    }
    if (jwt instanceof PlainJWT) {
      throw new AuthenticationException("unsigned token (alg none) not accepted");
    }
    if (!(jwt instanceof SignedJWT)) {
      throw new AuthenticationException("encrypted tokens (JWE) are not supported");
    }
    return (SignedJWT) jwt;
  }

  private void checkTime(JWTClaimsSet claims) {
    Instant now = clock.instant();
    Date exp = claims.getExpirationTime();
    if (exp == null) {
      throw new AuthenticationException("token has no exp claim");
    }
    if (now.isAfter(exp.toInstant().plus(clockSkew))) {
      throw new AuthenticationException("token expired at " + exp.toInstant());
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && now.plus(clockSkew).isBefore(nbf.toInstant())) {
      throw new AuthenticationException("token not valid before " + nbf.toInstant());
    }
  }

  private void checkIssuerAndAudience(JWTClaimsSet claims) {
    if (issuer != null) {
      String actual = claims.getIssuer();
      if (actual == null) {
        throw new AuthenticationException("token has no iss claim (expected " + quote(issuer) + ")");
      }
      if (!issuer.equals(actual)) {
        throw new AuthenticationException("issuer " + quote(actual) + " not accepted");
      }
    }
    if (audience != null) {
      List<String> actual = claims.getAudience();
      if (actual.isEmpty()) {
        throw new AuthenticationException("token has no aud claim (expected " + quote(audience) + ")");
      }
      if (!actual.contains(audience)) {
        throw new AuthenticationException("audience " + quote(String.join(",", actual))
            + " not accepted (expected " + quote(audience) + ")");
      }
    }
  }

  private static Set<String> stringSet(JWTClaimsSet claims, String name) {
    List<String> values;
    try {
      values = claims.getStringListClaim(name);
    } catch (ParseException e) {
      throw new AuthenticationException("claim " + name + " is not an array of strings");
    }
    if (values == null) {
      return Set.of();
    }
    Set<String> set = new LinkedHashSet<>();
    for (String value : values) {
      if (value == null) {
        throw new AuthenticationException("claim " + name + " contains null");
      }
      set.add(value);
    }
    return set;
  }

  /** Quotes a value taken from a token, shortened and with control characters replaced. */
  static String quote(String value) {
    String shortened = value.length() > MAX_QUOTED_CHARS ? value.substring(0, MAX_QUOTED_CHARS) + "..." : value;
    StringBuilder sb = new StringBuilder(shortened.length() + 2).append('"');
    for (int i = 0; i < shortened.length(); i++) {
      char c = shortened.charAt(i);
      sb.append(Character.isISOControl(c) ? '?' : c);
    }
    return sb.append('"').toString();
  }

  @Override
  public String name() {
    return "jwt";
  }

  @Override
  public String toString() {
    return "JwtAuthenticator{" + algorithm + ", issuer=" + issuer + ", audience=" + audience
        + ", clockSkew=" + clockSkew + ", subjectMatchesNodeId=" + requireSubjectMatchesNodeId + "}";
  }

  /**
   * Builds a {@link JwtAuthenticator}; start with {@link #hs256(byte[])}, {@link #rs256(PublicKey)}
   * or {@link #rs256(Path)}. Not thread-safe.
   */
  public static final class Builder {
    private final JWSAlgorithm algorithm;
    private final JWSVerifier verifier;
    private String issuer;
    private String audience;
    private Duration clockSkew = DEFAULT_CLOCK_SKEW;
    private Clock clock = Clock.systemUTC();
    private boolean requireSubjectMatchesNodeId;

    private Builder(JWSAlgorithm algorithm, JWSVerifier verifier) {
      this.algorithm = algorithm;
      this.verifier = verifier;
    }

    /** Requires {@code iss} to equal {@code issuer}; default (null): any issuer. */
    public Builder issuer(String issuer) {
      this.issuer = nonEmptyOrNull("issuer", issuer);
      return this;
    }

    /** Requires {@code aud} to contain {@code audience}; default (null): any audience. */
    public Builder audience(String audience) {
      this.audience = nonEmptyOrNull("audience", audience);
      return this;
    }

    /** Tolerance for {@code exp} and {@code nbf}; default 60 s, zero allowed. */
    public Builder clockSkew(Duration clockSkew) {
      Objects.requireNonNull(clockSkew, "clockSkew");
      if (clockSkew.isNegative()) {
        throw new IllegalArgumentException("clockSkew " + clockSkew.toMillis() + " ms is negative");
      }
      this.clockSkew = clockSkew;
      return this;
    }

    /** The clock {@code exp} and {@code nbf} are checked against; default the system UTC clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Whether {@code sub} must equal the node id of the Hello; default false. */
    public Builder requireSubjectMatchesNodeId(boolean require) {
      this.requireSubjectMatchesNodeId = require;
      return this;
    }

    /** Builds the authenticator. */
    public JwtAuthenticator build() {
      return new JwtAuthenticator(this);
    }

    private static String nonEmptyOrNull(String name, String value) {
      if (value != null && value.isEmpty()) {
        throw new IllegalArgumentException(name + " must not be empty (null means any)");
      }
      return value;
    }
  }
}
