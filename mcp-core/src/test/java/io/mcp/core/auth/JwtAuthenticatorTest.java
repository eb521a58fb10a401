package io.mcp.core.auth;

import static io.mcp.core.auth.TestTokens.OTHER_SECRET;
import static io.mcp.core.auth.TestTokens.SECRET;
import static io.mcp.core.auth.TestTokens.claims;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jwt.JWTClaimsSet;
import io.mcp.codec.CloseCode;
import io.mcp.core.Identity;
import io.mcp.core.spi.AuthenticationException;
import io.mcp.core.spi.AuthenticationRequest;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JwtAuthenticatorTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  private static KeyPair rsa;
  private static KeyPair otherRsa;

  @BeforeAll
  static void keys() {
    rsa = TestTokens.rsaKeyPair();
    otherRsa = TestTokens.rsaKeyPair();
  }

  private static JwtAuthenticator hs256() {
    return JwtAuthenticator.hs256(SECRET).clock(CLOCK).build();
  }

  private static JwtAuthenticator rs256() {
    return JwtAuthenticator.rs256(rsa.getPublic()).clock(CLOCK).build();
  }

  private static AuthenticationRequest request(String token) {
    return request("node-1", token);
  }

  private static AuthenticationRequest request(String nodeId, String token) {
    return AuthenticationRequest.of(nodeId, "billing", token, Map.of(), List.of(), null);
  }

  /** Asserts that {@code token} is rejected with a reason containing {@code reason} and not the token. */
  private static AuthenticationException rejects(JwtAuthenticator authenticator, String token, String reason) {
    AuthenticationException e = catchThrowableOfType(AuthenticationException.class,
        () -> authenticator.authenticate(request(token)));
    assertThat(e).as("rejection of a token expected to fail with \"%s\"", reason).isNotNull();
    assertThat(e.closeCode()).isEqualTo(CloseCode.UNAUTHENTICATED);
    assertThat(e.getMessage()).contains(reason);
    assertNoTokenIn(e.getMessage(), token);
    return e;
  }

  static void assertNoTokenIn(String message, String token) {
    assertThat(message).doesNotContain(token);
    for (String part : token.split("\\.")) {
      if (part.length() >= 8) {
        assertThat(message).doesNotContain(part);
      }
    }
  }

  @Test
  void hs256_validToken_identityFromClaims() {
    String token = TestTokens.hs256(SECRET,
        claims("node-1", NOW, List.of("agent", "admin"), List.of("billing", "orders")).build());

    Identity identity = hs256().authenticate(request(token));

    assertThat(identity.name()).isEqualTo("node-1");
    assertThat(identity.roles()).containsExactlyInAnyOrder("agent", "admin");
    assertThat(identity.services()).containsExactlyInAnyOrder("billing", "orders");
  }

  @Test
  void rs256_validToken_accepted() {
    String token = TestTokens.rs256(rsa.getPrivate(), claims("node-1", NOW, List.of("agent"), List.of()).build());

    Identity identity = rs256().authenticate(request(token));

    assertThat(identity).isEqualTo(Identity.of("node-1", Set.of("agent"), Set.of()));
  }

  @Test
  void noRolesOrServicesClaims_noRolesAnyService() {
    String token = TestTokens.hs256(SECRET, claims("svc-a", NOW).build());

    Identity identity = hs256().authenticate(request(token));

    assertThat(identity.roles()).isEmpty();
    assertThat(identity.services()).isEmpty();
    assertThat(identity.allowsService("anything")).isTrue();
  }

  @Test
  void emptyServicesClaim_anyService() {
    String token = TestTokens.hs256(SECRET, claims("svc-a", NOW, List.of(), List.of()).build());

    assertThat(hs256().authenticate(request(token)).allowsService("billing")).isTrue();
  }

  @Test
  void rolesClaimNotAnArray_rejected() {
    String token = TestTokens.hs256(SECRET, claims("svc-a", NOW).claim("roles", "admin").build());

    rejects(hs256(), token, "claim roles is not an array of strings");
  }

  @Test
  void expiredToken_rejectedWithExpiry() {
    Instant exp = NOW.minusSeconds(61);
    String token = TestTokens.hs256(SECRET, claims("node-1", NOW.minusSeconds(3600))
        .expirationTime(Date.from(exp)).build());

    rejects(hs256(), token, "token expired at 2026-03-01T11:58:59Z");
  }

  @Test
  void expiredWithinClockSkew_accepted() {
    String token = TestTokens.hs256(SECRET, claims("node-1", NOW.minusSeconds(3600))
        .expirationTime(Date.from(NOW.minusSeconds(59))).build());

    assertThat(hs256().authenticate(request(token)).name()).isEqualTo("node-1");
  }

  @Test
  void clockSkewZero_oneSecondLate_rejected() {
    JwtAuthenticator strict = JwtAuthenticator.hs256(SECRET).clock(CLOCK).clockSkew(Duration.ZERO).build();
    String token = TestTokens.hs256(SECRET, claims("node-1", NOW.minusSeconds(3600))
        .expirationTime(Date.from(NOW.minusSeconds(1))).build());

    rejects(strict, token, "token expired at");
  }

  @Test
  void notYetValid_rejectedWithNotBefore() {
    String token = TestTokens.hs256(SECRET, claims("node-1", NOW)
        .notBeforeTime(Date.from(NOW.plusSeconds(120))).build());

    rejects(hs256(), token, "token not valid before 2026-03-01T12:02:00Z");
  }

  @Test
  void notBeforeWithinClockSkew_accepted() {
    String token = TestTokens.hs256(SECRET, claims("node-1", NOW)
        .notBeforeTime(Date.from(NOW.plusSeconds(30))).build());

    assertThat(hs256().authenticate(request(token)).name()).isEqualTo("node-1");
  }

  @Test
  void missingExp_rejected() {
    String token = TestTokens.hs256(SECRET, new JWTClaimsSet.Builder().subject("node-1").build());

    rejects(hs256(), token, "token has no exp claim");
  }

  @Test
  void missingSub_rejected() {
    String token = TestTokens.hs256(SECRET, new JWTClaimsSet.Builder()
        .expirationTime(Date.from(NOW.plusSeconds(60))).build());

    rejects(hs256(), token, "token has no sub claim");
  }

  @Test
  void hs256_wrongSecret_badSignature() {
    String token = TestTokens.hs256(OTHER_SECRET, claims("node-1", NOW).build());

    rejects(hs256(), token, "bad signature");
  }

  @Test
  void rs256_wrongKey_badSignature() {
    String token = TestTokens.rs256(otherRsa.getPrivate(), claims("node-1", NOW).build());

    rejects(rs256(), token, "bad signature");
  }

  @Test
  void tamperedPayload_badSignature() {
    String token = TestTokens.hs256(SECRET, claims("node-1", NOW, List.of("agent"), List.of()).build());
    String[] parts = token.split("\\.");
    String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(
        ("{\"sub\":\"node-1\",\"exp\":" + NOW.plusSeconds(60).getEpochSecond() + ",\"roles\":[\"admin\"]}")
            .getBytes(StandardCharsets.UTF_8));

    rejects(hs256(), parts[0] + "." + forged + "." + parts[2], "bad signature");
  }

  @Test
  void algNone_rejected() {
    String token = TestTokens.unsigned(claims("node-1", NOW).build());

    rejects(hs256(), token, "unsigned token (alg none) not accepted");
    rejects(rs256(), token, "unsigned token (alg none) not accepted");
  }

  @Test
  void algNoneWithSignature_rejected() {
    String token = TestTokens.raw("{\"alg\":\"none\"}", "{\"sub\":\"node-1\",\"exp\":9999999999}");

    rejects(hs256(), token, "malformed token");
  }

  @Test
  void hs256TokenSignedWithRsaPublicKey_rejectedByRs256Authenticator() {
    // Algorithm confusion: the attacker knows the public key and uses it as an HMAC secret.
    String token = TestTokens.hs256(rsa.getPublic().getEncoded(), claims("node-1", NOW).build());

    rejects(rs256(), token, "token algorithm \"HS256\" not accepted (expected RS256)");
  }

  @Test
  void rs256Token_rejectedByHs256Authenticator() {
    String token = TestTokens.rs256(rsa.getPrivate(), claims("node-1", NOW).build());

    rejects(hs256(), token, "token algorithm \"RS256\" not accepted (expected HS256)");
  }

  @Test
  void hs512Token_rejectedByHs256Authenticator() {
    String token = TestTokens.raw("{\"alg\":\"HS512\"}", "{\"sub\":\"node-1\",\"exp\":9999999999}");

    rejects(hs256(), token, "token algorithm \"HS512\" not accepted (expected HS256)");
  }

  @Test
  void garbageToken_malformed() {
    rejects(hs256(), "not-a-jwt-at-all-but-long-enough", "malformed token");
    rejects(hs256(), "abc.def.ghi", "malformed token");
    rejects(hs256(), TestTokens.raw("{\"alg\":\"HS256\"", "{}"), "malformed token");
  }

  @Test
  void jweToken_rejected() {
    // Five parts with an encryption header: a JWE, which is not accepted.
    String header = Base64.getUrlEncoder().withoutPadding()
        .encodeToString("{\"alg\":\"dir\",\"enc\":\"A128GCM\"}".getBytes(StandardCharsets.UTF_8));
    String token = header + "..AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA";

    AuthenticationException e = catchThrowableOfType(AuthenticationException.class,
        () -> hs256().authenticate(request(token)));
    assertThat(e.getMessage()).satisfiesAnyOf(
        m -> assertThat(m).contains("encrypted tokens (JWE) are not supported"),
        m -> assertThat(m).contains("malformed token"));
  }

  @Test
  void emptyToken_missing() {
    assertThatThrownBy(() -> hs256().authenticate(request("")))
        .isInstanceOf(AuthenticationException.class)
        .hasMessage("missing token");
  }

  @Test
  void requiredIssuer_matched_accepted() {
    JwtAuthenticator auth = JwtAuthenticator.hs256(SECRET).clock(CLOCK).issuer("https://auth.example").build();
    String token = TestTokens.hs256(SECRET, claims("node-1", NOW).issuer("https://auth.example").build());

    assertThat(auth.authenticate(request(token)).name()).isEqualTo("node-1");
  }

  @Test
  void requiredIssuer_wrongIssuer_rejected() {
    JwtAuthenticator auth = JwtAuthenticator.hs256(SECRET).clock(CLOCK).issuer("https://auth.example").build();
    String token = TestTokens.hs256(SECRET, claims("node-1", NOW).issuer("https://evil.example").build());

    rejects(auth, token, "issuer \"https://evil.example\" not accepted");
  }

  @Test
  void requiredIssuer_missing_rejected() {
    JwtAuthenticator auth = JwtAuthenticator.hs256(SECRET).clock(CLOCK).issuer("https://auth.example").build();
    String token = TestTokens.hs256(SECRET, claims("node-1", NOW).build());

    rejects(auth, token, "token has no iss claim");
  }

  @Test
  void requiredAudience_oneOfSeveral_accepted() {
    JwtAuthenticator auth = JwtAuthenticator.hs256(SECRET).clock(CLOCK).audience("mcp").build();
    String token = TestTokens.hs256(SECRET, claims("node-1", NOW).audience(List.of("web", "mcp")).build());

    assertThat(auth.authenticate(request(token)).name()).isEqualTo("node-1");
  }

  @Test
  void requiredAudience_wrongAudience_rejected() {
    JwtAuthenticator auth = JwtAuthenticator.hs256(SECRET).clock(CLOCK).audience("mcp").build();
    String token = TestTokens.hs256(SECRET, claims("node-1", NOW).audience("web").build());

    rejects(auth, token, "audience \"web\" not accepted (expected \"mcp\")");
  }

  @Test
  void requiredAudience_missing_rejected() {
    JwtAuthenticator auth = JwtAuthenticator.hs256(SECRET).clock(CLOCK).audience("mcp").build();
    String token = TestTokens.hs256(SECRET, claims("node-1", NOW).build());

    rejects(auth, token, "token has no aud claim");
  }

  @Test
  void longIssuer_quotedShortened() {
    JwtAuthenticator auth = JwtAuthenticator.hs256(SECRET).clock(CLOCK).issuer("good").build();
    String token = TestTokens.hs256(SECRET, claims("node-1", NOW).issuer("x".repeat(500) + "\n").build());

    AuthenticationException e = rejects(auth, token, "issuer \"" + "x".repeat(64) + "...\" not accepted");
    assertThat(e.getMessage()).hasSizeLessThan(120);
  }

  @Test
  void subjectMustMatchNodeId_mismatch_rejected() {
    JwtAuthenticator auth = JwtAuthenticator.hs256(SECRET).clock(CLOCK).requireSubjectMatchesNodeId(true).build();
    String token = TestTokens.hs256(SECRET, claims("node-2", NOW).build());

    rejects(auth, token, "token subject \"node-2\" does not match node id \"node-1\"");
  }

  @Test
  void subjectMustMatchNodeId_match_accepted() {
    JwtAuthenticator auth = JwtAuthenticator.hs256(SECRET).clock(CLOCK).requireSubjectMatchesNodeId(true).build();
    String token = TestTokens.hs256(SECRET, claims("node-1", NOW).build());

    assertThat(auth.authenticate(request("node-1", token)).name()).isEqualTo("node-1");
  }

  @Test
  void subjectMatchOffByDefault_otherNodeId_accepted() {
    String token = TestTokens.hs256(SECRET, claims("node-2", NOW).build());

    assertThat(hs256().authenticate(request("node-1", token)).name()).isEqualTo("node-2");
  }

  @Test
  void hs256_shortSecret_refusedAtBuild() {
    assertThatThrownBy(() -> JwtAuthenticator.hs256(new byte[31]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("HS256 secret of 31 bytes is shorter than 32 bytes");
  }

  @Test
  void hs256_secretCopied_laterChangeHasNoEffect() {
    byte[] secret = SECRET.clone();
    JwtAuthenticator auth = JwtAuthenticator.hs256(secret).clock(CLOCK).build();
    secret[0] ^= 1;
    String token = TestTokens.hs256(SECRET, claims("node-1", NOW).build());

    assertThat(auth.authenticate(request(token)).name()).isEqualTo("node-1");
  }

  @Test
  void rs256_nonRsaKey_refusedAtBuild() throws Exception {
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(256);

    assertThatThrownBy(() -> JwtAuthenticator.rs256(ec.generateKeyPair().getPublic()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("RS256 needs an RSA public key, not EC");
  }

  @Test
  void rs256_smallKey_refusedAtBuild() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(1024);

    assertThatThrownBy(() -> JwtAuthenticator.rs256(generator.generateKeyPair().getPublic()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("RSA key of 1024 bits is smaller than 2048");
  }

  @Test
  void rs256_publicKeyPemFile_accepted(@TempDir Path dir) throws Exception {
    Path pem = dir.resolve("issuer.pem");
    Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(rsa.getPublic().getEncoded())
        + "\n-----END PUBLIC KEY-----\n");
    JwtAuthenticator auth = JwtAuthenticator.rs256(pem).clock(CLOCK).build();
    String token = TestTokens.rs256(rsa.getPrivate(), claims("node-1", NOW).build());

    assertThat(auth.authenticate(request(token)).name()).isEqualTo("node-1");
  }

  @Test
  void rs256_certificatePemFile_accepted(@TempDir Path dir) throws Exception {
    X509Bundle issuer = new CertificateBuilder().rsa2048().subject("CN=issuer").setIsCertificateAuthority(true)
        .buildSelfSigned();
    Path pem = Files.writeString(dir.resolve("issuer-cert.pem"), issuer.getCertificatePEM());
    JwtAuthenticator auth = JwtAuthenticator.rs256(pem).clock(CLOCK).build();
    String token = TestTokens.rs256(issuer.getKeyPair().getPrivate(), claims("node-1", NOW).build());

    assertThat(auth.authenticate(request(token)).name()).isEqualTo("node-1");
  }

  @Test
  void rs256_missingOrUnusablePemFile_namesFile(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("missing.pem");
    Path junk = Files.writeString(dir.resolve("junk.pem"), "hello");

    assertThatThrownBy(() -> JwtAuthenticator.rs256(missing))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot read public key file " + missing);
    assertThatThrownBy(() -> JwtAuthenticator.rs256(junk))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("public key file " + junk + " holds no PEM");
  }

  @Test
  void builder_negativeClockSkew_refused() {
    assertThatThrownBy(() -> JwtAuthenticator.hs256(SECRET).clockSkew(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("clockSkew -1000 ms is negative");
  }

  @Test
  void authenticatorsFactories_buildWorkingAuthenticators() {
    String hsToken = TestTokens.hs256(SECRET, claims("node-1", Instant.now()).build());
    String rsToken = TestTokens.rs256(rsa.getPrivate(), claims("node-1", Instant.now()).build());

    assertThat(Authenticators.jwtHs256(SECRET).authenticate(request(hsToken)).name()).isEqualTo("node-1");
    assertThat(Authenticators.jwtRs256(rsa.getPublic()).authenticate(request(rsToken)).name()).isEqualTo("node-1");
    assertThat(Authenticators.jwtHs256(SECRET).name()).isEqualTo("jwt");
    assertThat(Authenticators.jwtHs256(SECRET).toString()).doesNotContain(new String(SECRET, StandardCharsets.UTF_8));
  }
}
