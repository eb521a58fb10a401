package io.mcp.core.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;

/** Mints JSON Web Tokens for tests. */
public final class TestTokens {
  /** A 32-byte HS256 secret. */
  public static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  /** Another 32-byte secret. */
  public static final byte[] OTHER_SECRET = "fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.UTF_8);

  private TestTokens() {}

  /** A fresh RSA 2048 key pair. */
  public static KeyPair rsaKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** Claims for {@code subject} valid from {@code now} for an hour, with roles and services. */
  public static JWTClaimsSet.Builder claims(String subject, Instant now) {
    return new JWTClaimsSet.Builder()
        .subject(subject)
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plusSeconds(3600)));
  }

  /** {@code claims} plus {@code roles} and {@code services} claims. */
  public static JWTClaimsSet.Builder claims(String subject, Instant now, List<String> roles, List<String> services) {
    return claims(subject, now).claim("roles", roles).claim("services", services);
  }

  public static String hs256(byte[] secret, JWTClaimsSet claims) {
    try {
      return sign(JWSAlgorithm.HS256, new MACSigner(secret), claims);
    } catch (JOSEException e) {
      throw new AssertionError(e);
    }
  }

  public static String rs256(PrivateKey key, JWTClaimsSet claims) {
    return sign(JWSAlgorithm.RS256, new RSASSASigner(key), claims);
  }

  private static String sign(JWSAlgorithm algorithm, JWSSigner signer, JWTClaimsSet claims) {
    SignedJWT jwt = new SignedJWT(new JWSHeader(algorithm), claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new AssertionError(e);
    }
    return jwt.serialize();
  }

  /** A token with header {@code {"alg":"none"}} and an empty signature. */
  public static String unsigned(JWTClaimsSet claims) {
    return new PlainJWT(claims).serialize();
  }

  /** A token with an arbitrary JSON header and payload and a bogus signature. */
  public static String raw(String headerJson, String payloadJson) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString(headerJson.getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(payloadJson.getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString("not-a-signature".getBytes(StandardCharsets.UTF_8));
  }
}
