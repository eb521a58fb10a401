package io.mcp.grpc.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.grpc.proto.ConfigRequest;
import io.mcp.grpc.proto.ControlPlaneGrpc;
import io.mcp.grpc.proto.WaitCondition;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The route table is read from the proto's google.api.http options; transcoding into request messages. */
class RouteTest {
  static final List<Route> ROUTES = Route.of(ControlPlaneGrpc.getServiceDescriptor());

  static Route route(String verb, String template) {
    return ROUTES.stream().filter(r -> r.httpMethod.equals(verb) && r.template.equals(template)).findFirst()
        .orElseThrow();
  }

  @Test
  void routes_comeFromTheProto_connectHasNone() {
    assertThat(ROUTES).extracting(r -> r.httpMethod + " " + r.template + " -> " + r.method.getBareMethodName())
        .containsExactly(
            "PUT /v1/services/{service_name}/config -> ApplyConfiguration",
            "GET /v1/services/{service_name}/config -> GetConfiguration",
            "GET /v1/services/{service_name}/versions -> ListVersions",
            "POST /v1/services/{service_name}/rollback -> Rollback",
            "GET /v1/nodes -> ListNodes",
            "GET /v1/status -> StreamStatus");
    assertThat(route("GET", "/v1/status").streaming).isTrue();
    assertThat(route("GET", "/v1/nodes").streaming).isFalse();
  }

  @Test
  void match_bindsVariables_onlyOnTheSameShape() {
    Route put = route("PUT", "/v1/services/{service_name}/config");
    assertThat(put.match(List.of("v1", "services", "payments", "config"))).containsExactly(Map.entry("service_name", "payments"));
    assertThat(put.match(List.of("v1", "services", "", "config"))).isNull();
    assertThat(put.match(List.of("v1", "services", "payments", "versions"))).isNull();
    assertThat(put.match(List.of("v1", "services", "payments", "config", "x"))).isNull();
  }

  @Test
  void request_jsonPathAndQueryCombine() {
    Route put = route("PUT", "/v1/services/{service_name}/config");
    ConfigRequest request = (ConfigRequest) put.request(Map.of("service_name", "payments"),
        Map.of("wait.kind", List.of("PERCENT"), "wait.percent", List.of("50")), "application/json; charset=utf-8",
        "{\"configData\":\"eA==\",\"rollout_settings\":{\"k\":\"v\"}}".getBytes(StandardCharsets.UTF_8), 32, 40);
    assertThat(request.getServiceName()).isEqualTo("payments");
    assertThat(request.getConfigData().toStringUtf8()).isEqualTo("x");
    assertThat(request.getRolloutSettingsMap()).containsEntry("k", "v");
    assertThat(request.getWait().getKind()).isEqualTo(WaitCondition.Kind.PERCENT);
    assertThat(request.getWait().getPercent()).isEqualTo(50);
  }

  @Test
  void request_rawBody_isTheOnlyBytesField() {
    Route put = route("PUT", "/v1/services/{service_name}/config");
    byte[] raw = {0, 1, 2, (byte) 0xff};
    ConfigRequest request = (ConfigRequest) put.request(Map.of("service_name", "s"), Map.of(),
        "application/octet-stream", raw, 32, 40);
    assertThat(request.getConfigData().toByteArray()).isEqualTo(raw);
    Route rollback = route("POST", "/v1/services/{service_name}/rollback");
    assertThatThrownBy(() -> rollback.request(Map.of("service_name", "s"), Map.of(), "text/plain", raw, 32, 40))
        .isInstanceOf(Route.BadRequest.class)
        .hasMessage("Content-Type text/plain not accepted by POST /v1/services/{service_name}/rollback; send application/json")
        .satisfies(e -> assertThat(((Route.BadRequest) e).httpStatus).isEqualTo(415));
  }

  @Test
  void request_badValues_namedInTheError() {
    Route get = route("GET", "/v1/services/{service_name}/config");
    assertThatThrownBy(() -> get.request(Map.of("service_name", "s"), Map.of("version", List.of("-1")), null,
        new byte[0], 32, 40)).hasMessage("query parameter version: '-1' is not a valid uint64");
    assertThatThrownBy(() -> get.request(Map.of("service_name", "s"), Map.of("version", List.of("1", "2")), null,
        new byte[0], 32, 40)).hasMessage("query parameter version given 2 times; it takes one value");
    assertThatThrownBy(() -> get.request(Map.of("service_name", "s"), Map.of("service_name", List.of("t")), null,
        new byte[0], 32, 40)).hasMessageStartingWith("unknown query parameter service_name");
    Route put = route("PUT", "/v1/services/{service_name}/config");
    assertThatThrownBy(() -> put.request(Map.of("service_name", "s"), Map.of("wait.kind", List.of("SOME")), null,
        new byte[0], 32, 40)).hasMessage("query parameter wait.kind: 'SOME' is not a valid enum (one of NONE, ALL, PERCENT, LABELS)");
    assertThatThrownBy(() -> put.request(Map.of("service_name", "s"), Map.of(), "application/json",
        "{\"configData\":\"eA==\",\"nope\":true}".getBytes(StandardCharsets.UTF_8), 32, 40))
        .hasMessageContaining("nope");
    assertThatThrownBy(() -> put.request(Map.of("service_name", "s"), Map.of(), "application/json",
        new byte[] {'"', (byte) 0xc3, '"'}, 32, 40)).hasMessage("request body is not valid UTF-8");
  }
}
