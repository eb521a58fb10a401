package io.mcp.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.mcp.codec.CloseCode;
import io.mcp.core.Identity;
import io.mcp.core.spi.AuthenticationException;
import io.mcp.core.spi.AuthenticationRequest;
import io.mcp.core.spi.Authenticator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StaticTokenAuthenticatorTest {
  private static final String TOKEN = "s3cret-token-0123456789";
  private final Authenticator authenticator = Authenticators.staticToken(TOKEN);

  private static AuthenticationRequest request(String token) {
    return AuthenticationRequest.of("node-1", "billing", token, Map.of(), List.of(), null);
  }

  private AuthenticationException rejected(String presented) {
    AuthenticationException e = catchThrowableOfType(AuthenticationException.class,
        () -> authenticator.authenticate(request(presented)));
    assertThat(e).isNotNull();
    assertThat(e.closeCode()).isEqualTo(CloseCode.UNAUTHENTICATED);
    assertThat(e.getMessage()).doesNotContain(TOKEN);
    if (!presented.isEmpty()) {
      assertThat(e.getMessage()).doesNotContain(presented);
    }
    return e;
  }

  @Test
  void rightToken_identityNamedAfterNode() {
    assertThat(authenticator.authenticate(request(TOKEN)))
        .isEqualTo(Identity.of("node-1", Set.of("agent"), Set.of()));
  }

  @Test
  void rightToken_fixedIdentity() {
    Identity fixed = Identity.of("fleet", Set.of("admin"), Set.of("billing"));

    assertThat(Authenticators.staticToken(TOKEN, fixed).authenticate(request(TOKEN))).isEqualTo(fixed);
  }

  @Test
  void wrongToken_invalid() {
    assertThat(rejected("wrong-token-9876543210").getMessage()).isEqualTo("invalid token");
  }

  @Test
  void missingToken_missing() {
    assertThat(rejected("").getMessage()).isEqualTo("missing token");
  }

  @Test
  void samePrefixLonger_invalid() {
    assertThat(rejected(TOKEN + "x").getMessage()).isEqualTo("invalid token");
  }

  @Test
  void samePrefixShorter_invalid() {
    assertThat(rejected(TOKEN.substring(0, TOKEN.length() - 1)).getMessage()).isEqualTo("invalid token");
  }

  @Test
  void differentCase_invalid() {
    assertThat(rejected(TOKEN.toUpperCase(java.util.Locale.ROOT)).getMessage()).isEqualTo("invalid token");
  }

  @Test
  void emptyConfiguredToken_refused() {
    assertThatThrownBy(() -> Authenticators.staticToken(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("static token must not be empty");
  }

  @Test
  void toStringAndName_hideToken() {
    assertThat(authenticator.toString()).doesNotContain(TOKEN);
    assertThat(authenticator.name()).isEqualTo("static-token");
    assertThat(request(TOKEN).toString()).doesNotContain(TOKEN);
  }

  @Test
  void allowAll_acceptsAnyoneAsAnonymous_andSaysSo() {
    Authenticator allowAll = Authenticators.allowAll();

    assertThat(allowAll.authenticate(request(""))).isEqualTo(Identity.anonymous());
    assertThat(allowAll.allowsAll()).isTrue();
    assertThat(authenticator.allowsAll()).isFalse();
  }
}
