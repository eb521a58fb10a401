package io.mcp.core.auth;

import static io.mcp.core.auth.TestTokens.SECRET;
import static io.mcp.core.auth.TestTokens.claims;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.core.spi.AuthenticationException;
import io.mcp.core.spi.AuthenticationRequest;
import io.mcp.core.spi.Authenticator;
import io.mcp.core.spi.AuthenticatorRegistry;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthenticatorProvidersTest {
  private static final String SECRET_TEXT = new String(SECRET, StandardCharsets.UTF_8);
  private final AuthenticatorRegistry registry = AuthenticatorRegistry.getDefault();

  private static AuthenticationRequest request(String token) {
    return AuthenticationRequest.of("node-1", "billing", token, Map.of(), List.of(), null);
  }

  @Test
  void defaultRegistry_findsBuiltIns() {
    assertThat(registry.names()).contains("allow-all", "jwt", "mtls", "static-token");
  }

  @Test
  void staticToken_built() {
    Authenticator auth = registry.create("static-token", Map.of("token", "abc-123"));

    assertThat(auth.name()).isEqualTo("static-token");
    assertThat(auth.authenticate(request("abc-123")).name()).isEqualTo("node-1");
    assertThatThrownBy(() -> auth.authenticate(request("abc-124"))).isInstanceOf(AuthenticationException.class);
  }

  @Test
  void staticToken_missingToken_namesSetting() {
    assertThatThrownBy(() -> registry.create("static-token", Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("setting \"token\" of authenticator static-token is missing or empty");
  }

  @Test
  void unknownSetting_named_valuesNotEchoed() {
    assertThatThrownBy(() -> registry.create("static-token", Map.of("token", "abc-123", "tokne", "abc-123")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown setting \"tokne\" for authenticator static-token (known: [token])");
  }

  @Test
  void jwtHs256_built() {
    Authenticator auth = registry.create("jwt", Map.of("algorithm", "HS256", "secret", SECRET_TEXT,
        "issuer", "https://auth.example", "audience", "mcp", "clock-skew-seconds", "5"));
    String token = TestTokens.hs256(SECRET, claims("node-1", Instant.now())
        .issuer("https://auth.example").audience("mcp").build());

    assertThat(auth.name()).isEqualTo("jwt");
    assertThat(auth.authenticate(request(token)).name()).isEqualTo("node-1");
    assertThat(auth.toString()).contains("clockSkew=PT5S").doesNotContain(SECRET_TEXT);
  }

  @Test
  void jwtRs256_built(@TempDir Path dir) throws Exception {
    X509Bundle issuer = new CertificateBuilder().rsa2048().subject("CN=issuer").setIsCertificateAuthority(true)
        .buildSelfSigned();
    Path pem = Files.writeString(dir.resolve("issuer.pem"), issuer.getCertificatePEM());
    KeyPair rsa = issuer.getKeyPair();
    Authenticator auth = registry.create("jwt", Map.of("algorithm", "rs256", "public-key-file", pem.toString(),
        "require-subject-matches-node-id", "true"));

    assertThat(auth.authenticate(request(TestTokens.rs256(rsa.getPrivate(), claims("node-1", Instant.now()).build())))
        .name()).isEqualTo("node-1");
    assertThatThrownBy(() -> auth.authenticate(request(
        TestTokens.rs256(rsa.getPrivate(), claims("node-2", Instant.now()).build()))))
        .hasMessageContaining("does not match node id");
  }

  @Test
  void jwt_missingAlgorithm_namesSetting() {
    assertThatThrownBy(() -> registry.create("jwt", Map.of("secret", SECRET_TEXT)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("setting \"algorithm\" of authenticator jwt is missing or empty");
  }

  @Test
  void jwt_unsupportedAlgorithm_namesSetting() {
    assertThatThrownBy(() -> registry.create("jwt", Map.of("algorithm", "none", "secret", SECRET_TEXT)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("setting \"algorithm\" of authenticator jwt must be HS256 or RS256, not \"none\"");
  }

  @Test
  void jwtHs256_missingSecret_namesSetting() {
    assertThatThrownBy(() -> registry.create("jwt", Map.of("algorithm", "HS256")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("setting \"secret\" of authenticator jwt is missing or empty");
  }

  @Test
  void jwtHs256_shortSecret_namesSettingNotValue() {
    assertThatThrownBy(() -> registry.create("jwt", Map.of("algorithm", "HS256", "secret", "too-short-secret")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("setting \"secret\" of authenticator jwt is 16 bytes; HS256 needs at least 32")
        .message().doesNotContain("too-short-secret");
  }

  @Test
  void jwtHs256_withPublicKeyFile_refused() {
    assertThatThrownBy(() -> registry.create("jwt",
        Map.of("algorithm", "HS256", "secret", SECRET_TEXT, "public-key-file", "/x.pem")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("setting \"public-key-file\" of authenticator jwt does not apply to HS256");
  }

  @Test
  void jwtRs256_missingPublicKeyFile_namesSetting() {
    assertThatThrownBy(() -> registry.create("jwt", Map.of("algorithm", "RS256")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("setting \"public-key-file\" of authenticator jwt is missing or empty");
  }

  @Test
  void jwtRs256_withSecret_refusedWithoutEchoingIt(@TempDir Path dir) {
    assertThatThrownBy(() -> registry.create("jwt",
        Map.of("algorithm", "RS256", "secret", SECRET_TEXT, "public-key-file", dir.resolve("k.pem").toString())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("setting \"secret\" of authenticator jwt does not apply to RS256");
  }

  @Test
  void jwtRs256_unreadablePublicKeyFile_namesSettingAndFile(@TempDir Path dir) {
    Path missing = dir.resolve("missing.pem");

    assertThatThrownBy(() -> registry.create("jwt", Map.of("algorithm", "RS256", "public-key-file", missing.toString())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("setting \"public-key-file\" of authenticator jwt is unusable: cannot read public key file "
            + missing);
  }

  @Test
  void jwt_badClockSkew_namesSetting() {
    assertThatThrownBy(() -> registry.create("jwt",
        Map.of("algorithm", "HS256", "secret", SECRET_TEXT, "clock-skew-seconds", "1m")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("setting \"clock-skew-seconds\" of authenticator jwt must be a whole number, not \"1m\"");
    assertThatThrownBy(() -> registry.create("jwt",
        Map.of("algorithm", "HS256", "secret", SECRET_TEXT, "clock-skew-seconds", "-1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("setting \"clock-skew-seconds\" of authenticator jwt must not be negative, not -1");
  }

  @Test
  void jwt_badFlag_namesSetting() {
    assertThatThrownBy(() -> registry.create("jwt",
        Map.of("algorithm", "HS256", "secret", SECRET_TEXT, "require-subject-matches-node-id", "yes")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("setting \"require-subject-matches-node-id\" of authenticator jwt must be true or false, not \"yes\"");
  }

  @Test
  void mtls_built() {
    assertThat(registry.create("mtls", Map.of()).name()).isEqualTo("mtls");
    assertThat(registry.create("mtls", Map.of("roles-from-ou", "true")).name()).isEqualTo("mtls");
    assertThatThrownBy(() -> registry.create("mtls", Map.of("roles-from-ou", "maybe")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"roles-from-ou\"");
  }

  @Test
  void allowAll_built_andFlagged() {
    Authenticator auth = registry.create("allow-all", Map.of());

    assertThat(auth.allowsAll()).isTrue();
    assertThat(auth.name()).isEqualTo("allow-all");
    assertThatThrownBy(() -> registry.create("allow-all", Map.of("token", "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("unknown setting \"token\" for authenticator allow-all");
  }

  @Test
  void unknownName_listsAvailable() {
    assertThatThrownBy(() -> registry.create("kerberos", Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no authenticator named \"kerberos\"")
        .hasMessageContaining("jwt");
  }
}
